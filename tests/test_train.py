"""The training CLI: a seconds-long smoke run, determinism, augmentation and schedule."""

import json
import math
import shlex

import numpy as np
import pytest
import torch

from vae_core import checkpoint, train
from vae_core.model import VAEConfig

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

TINY = VAEConfig(encoder_hidden=[32], decoder_hidden=[32], encoder_activation="tanh")


def test_one_epoch_smoke_run_writes_a_loadable_model(tmp_path):
    card = train.main(
        [
            "--epochs",
            "1",
            "--quick",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--encoder-hidden",
            "64",
            "--decoder-hidden",
            "64",
        ]
    )
    written = json.loads((tmp_path / checkpoint.CARD_NAME).read_text())
    assert written == json.loads(json.dumps(card))
    assert written["training"]["epochs"] == 1 and written["training"]["seed"] == 3
    assert written["device"] == "cpu" and written["torch_version"] == torch.__version__
    holdout = written["holdout"]
    assert math.isfinite(holdout["neg_elbo"]["mean"]) and math.isfinite(holdout["neg_log_px_grid"]["mean"])
    model = checkpoint.load_checkpoint(tmp_path, device="cpu")
    assert model.config.encoder_hidden == [64]


def test_training_is_deterministic_on_cpu_for_a_seed():
    cfg = train.TrainConfig(epochs=1, batch_size=32, subset=96, seed=5, shift_pixels=1, kl_warmup_epochs=1)
    a, loss_a = train.train_model(TINY, cfg, torch.device("cpu"), progress=False)
    b, loss_b = train.train_model(TINY, cfg, torch.device("cpu"), progress=False)
    c, _ = train.train_model(
        TINY, train.TrainConfig(epochs=1, batch_size=32, subset=96, seed=6), torch.device("cpu"), progress=False
    )
    assert loss_a == loss_b
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.state_dict().values(), c.state_dict().values(), strict=True))


def test_iwae_objective_trains():
    cfg = train.TrainConfig(epochs=2, batch_size=32, subset=64, objective="iwae", n_samples=5)
    _, losses = train.train_model(TINY, cfg, torch.device("cpu"), progress=False)
    assert all(math.isfinite(v) for v in losses) and losses[1] < losses[0]


def test_shift_images_moves_each_image_by_at_most_one_pixel():
    gen = torch.Generator().manual_seed(0)
    images = torch.zeros(200, 28, 28)
    images[:, 10:15, 12:16] = torch.rand(200, 5, 4, generator=gen)
    shifted = train.shift_images(images, 1, gen)
    seen = set()
    for original, moved in zip(images.numpy(), shifted.numpy(), strict=True):
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(np.roll(original, (dy, dx), axis=(0, 1)), moved)
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == 9  # all nine offsets occur
    assert torch.equal(train.shift_images(images, 0, gen), images)


def test_shift_fills_with_background():
    images = torch.ones(50, 28, 28)
    shifted = train.shift_images(images, 1, torch.Generator().manual_seed(1))
    assert shifted.sum(dim=(1, 2)).min() >= 27 * 27 and (shifted <= 1).all()


def test_learning_rate_schedule_is_cosine_from_lr_to_lr_final():
    cfg = train.TrainConfig(lr=1e-3, lr_final=1e-5)
    factor = train._lr_factor(cfg, total_steps=100)
    assert factor(0) == pytest.approx(1.0)
    assert factor(50) == pytest.approx((1 + 1e-2) / 2)
    assert factor(100) == pytest.approx(1e-2)


def test_invalid_recipes_are_rejected():
    with pytest.raises(ValueError):
        train.TrainConfig(objective="gan")
    with pytest.raises(ValueError):
        train.TrainConfig(objective="iwae", kl_warmup_epochs=3)


def test_retrain_command_reproduces_the_shipped_recipe():
    """The command printed by CheckpointError, with the CLI defaults, is the shipped recipe."""
    argv = shlex.split(checkpoint.RETRAIN_COMMAND)[3:]  # drop "python -m vae_core.train"
    args = train.build_parser().parse_args(argv)
    card = checkpoint.load_model_card()
    recorded = card["training"]
    for key in (
        "epochs",
        "seed",
        "batch_size",
        "lr",
        "lr_final",
        "weight_decay",
        "kl_warmup_epochs",
        "shift_pixels",
        "objective",
        "n_samples",
    ):
        assert getattr(args, key) == recorded[key], key
    assert recorded["subset"] is None
    model_args = card["model_args"]
    for key in ("encoder_hidden", "decoder_hidden", "encoder_activation", "decoder_activation"):
        assert getattr(args, key) == model_args[key], key
