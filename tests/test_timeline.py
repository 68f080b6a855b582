"""The shipped run as a timeline (assets/training): it ends exactly at the shipped weights, the CLI
reproduces it byte for byte, and its metadata is the recipe of the model card. No retraining here:
the full run takes minutes; a 2-epoch run on 100 digits stands in for the CLI."""

import json

import numpy as np
import pytest
import torch

from vae_core import checkpoint, latent, timeline, train
from vae_core.data import load_digits, load_holdout_binary

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

TINY_ARGS = ["--epochs", "2", "--subset", "100", "--elbo-samples", "3", "--manifold-n", "4", "--no-progress"]


@pytest.fixture(scope="module")
def asset():
    try:
        return timeline.load_timeline()
    except FileNotFoundError as err:
        pytest.skip(f"timeline asset missing: {err}")


def test_snapshot_epochs_are_log_spaced_from_the_initialization_to_the_end():
    epochs = timeline.snapshot_epochs(300)
    assert len(epochs) == timeline.SNAPSHOTS and epochs[:4] == [0, 1, 2, 3] and epochs[-1] == 300
    assert all(b > a for a, b in zip(epochs, epochs[1:], strict=False))
    ratios = np.diff(np.log(epochs[5:]))
    assert ratios.max() < 2.5 * ratios.min()  # roughly even steps in log(epoch)
    assert timeline.snapshot_epochs(3) == [0, 1, 2, 3]


def test_last_snapshot_is_the_shipped_model_bit_for_bit(asset, model):
    arrays, note = asset
    assert note["final_state_sha256"] == timeline.shipped_state_sha256()
    assert note["final_equals_shipped_weights"] is True
    assert timeline.state_sha256(model.state_dict()) == note["final_state_sha256"]
    # and what the page shows at the last epoch is what the shipped model gives
    mu, sigma = latent.encode(model, load_holdout_binary())
    assert np.array_equal(arrays["mu"][-1], mu.astype(np.float16))
    assert np.array_equal(arrays["sigma"][-1], sigma.astype(np.float16))
    assert np.array_equal(arrays["manifold"][-1], timeline.manifold_uint8(model, arrays["manifold"].shape[1]))
    card = checkpoint.load_model_card()
    assert -arrays["holdout_elbo"][-1] == pytest.approx(card["holdout"]["neg_elbo"]["mean"], rel=1e-12)
    assert -arrays["train_elbo"][-1] == pytest.approx(card["train_subset"]["neg_elbo"]["mean"], rel=1e-12)
    assert arrays["holdout_kl"][-1] == pytest.approx(card["holdout"]["kl"], rel=1e-12)
    assert arrays["train_loss"][-1] == pytest.approx(card["training"]["final_train_loss"], rel=1e-12)


def test_asset_metadata_is_the_model_cards_recipe(asset):
    arrays, note = asset
    card = checkpoint.load_model_card()
    recorded = {k: v for k, v in card["training"].items() if k != "final_train_loss"}
    assert note["recipe"]["training"] == recorded and note["recipe"]["is_shipped_recipe"] is True
    assert note["recipe"]["model_args"] == card["model_args"]
    assert note["snapshot_epochs"] == timeline.snapshot_epochs(recorded["epochs"])
    assert arrays["epochs"].tolist() == note["snapshot_epochs"]
    assert note["shipped_weights_sha256"] == card["weights_sha256"]
    assert note["bytes"] <= timeline.SIZE_BUDGET_BYTES
    for name, meta in note["arrays"].items():
        assert list(arrays[name].shape) == meta["shape"] and str(arrays[name].dtype) == meta["dtype"], name
    snaps, n = len(note["snapshot_epochs"]), note["evaluation"]["manifold_n"]
    assert arrays["mu"].shape == arrays["sigma"].shape == (snaps, 500, 2)
    assert arrays["manifold"].shape == (snaps, n, n, 784) and arrays["manifold"].dtype == np.uint8
    assert arrays["train_loss"].shape == (recorded["epochs"],)
    assert np.array_equal(arrays["labels"], load_digits("holdout")[1])
    for split in ("holdout", "train"):
        elbo, recon, kl = (arrays[f"{split}_{k}"] for k in ("elbo", "recon", "kl"))
        assert np.allclose(elbo, recon - kl, rtol=0, atol=1e-3) and np.all(kl >= 0)  # float32 terms
    assert np.allclose(arrays["kl_per_dim"].sum(axis=1), arrays["holdout_kl"], rtol=1e-3)
    # the ELBO climbs over the run (not monotone everywhere: it is a Monte Carlo estimate)
    assert arrays["holdout_elbo"][-1] > arrays["holdout_elbo"][1] > arrays["holdout_elbo"][0]


def test_model_card_describes_the_timeline(asset):
    _, note = asset
    entry = checkpoint.load_model_card()["timeline"]
    assert entry == timeline.timeline_card_entry(note)
    path = checkpoint.MODEL_DIR.parent.parent / entry["file"]
    assert path.stat().st_size == entry["bytes"]


def test_cli_reproduces_its_files_byte_for_byte(tmp_path, asset):
    notes = []
    for run in ("a", "b"):
        notes.append(timeline.main(["--out", str(tmp_path / run), *TINY_ARGS]))
    a, b = (tmp_path / run / timeline.NPZ_NAME for run in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    strip = [{k: v for k, v in n.items() if k != "run"} for n in notes]
    assert strip[0] == strip[1]
    on_disk = json.loads((tmp_path / "a" / timeline.NOTE_NAME).read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(notes[0]))
    assert notes[0]["final_equals_shipped_weights"] is False  # not the shipped recipe
    assert notes[0]["snapshot_epochs"] == [0, 1, 2]
    arrays, _ = timeline.load_timeline(tmp_path / "a")
    shipped, _ = asset
    assert sorted(arrays) == sorted(shipped)
    assert all(arrays[k].dtype == shipped[k].dtype for k in arrays)


def test_snapshots_leave_the_training_numerically_unchanged(tmp_path):
    """The on_epoch hook evaluates the model between epochs; the weights must not notice."""
    note = timeline.main(["--out", str(tmp_path), *TINY_ARGS])
    model_cfg, train_cfg = timeline.shipped_recipe()
    train_cfg.epochs, train_cfg.subset = 2, 100
    plain, history = train.train_model(model_cfg, train_cfg, torch.device("cpu"), progress=False)
    assert timeline.state_sha256(plain.state_dict()) == note["final_state_sha256"]
    arrays, _ = timeline.load_timeline(tmp_path)
    assert arrays["train_loss"].tolist() == history


def test_train_model_calls_on_epoch_from_the_initialization_on():
    seen = []
    cfg = train.TrainConfig(epochs=2, batch_size=32, subset=64)
    tiny = timeline.VAEConfig(encoder_hidden=[16], decoder_hidden=[16])
    train.train_model(
        tiny,
        cfg,
        torch.device("cpu"),
        progress=False,
        on_epoch=lambda epoch, m: seen.append((epoch, m.training, torch.is_inference_mode_enabled())),
    )
    assert seen == [(0, False, True), (1, False, True), (2, False, True)]
