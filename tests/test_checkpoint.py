"""Weights + model card: the shipped model, its integrity checks, and device selection."""

import json
import math
import shutil

import pytest
import torch

import vae_core
from vae_core import checkpoint, device
from vae_core.checkpoint import CheckpointError, load_checkpoint, load_model_card, save_checkpoint
from vae_core.data import DIGITS_PATH, N_PIXELS, file_sha256
from vae_core.model import VAE, VAEConfig

pytestmark = pytest.mark.usefixtures("one_cpu_thread")


@pytest.fixture()
def model_copy(tmp_path):
    """A copy of the shipped assets/model to damage freely."""
    target = tmp_path / "model"
    shutil.copytree(checkpoint.MODEL_DIR, target)
    return target


def _weights(model_dir):
    return model_dir / checkpoint.WEIGHTS_NAME


def test_load_pretrained_gives_the_shipped_model_in_eval_mode_on_cpu():
    model = vae_core.load_pretrained(device="cpu")
    assert isinstance(model, VAE) and not model.training
    assert model.config.z_dim == 2 and model.config.x_dim == N_PIXELS
    assert next(model.parameters()).device.type == "cpu"
    with torch.inference_mode():
        mu, logvar = model.encode(torch.zeros(1, N_PIXELS))
        assert torch.isfinite(mu).all() and torch.isfinite(logvar).all()


def test_model_card_records_provenance_and_quality():
    card = load_model_card()
    assert card["weights_sha256"] == file_sha256(checkpoint.MODEL_DIR / card["weights_file"])
    assert card["data"]["sha256"] == file_sha256(DIGITS_PATH)
    assert (card["data"]["train_size"], card["data"]["holdout_size"]) == (4500, 500)
    assert card["model_args"] == load_checkpoint(device="cpu").config.to_dict()
    for key in ("epochs", "seed"):
        assert key in card["training"]
    for key in ("device", "torch_version", "train_wall_seconds"):
        assert key in card
    for split in ("holdout", "train_subset"):
        numbers = card[split]
        assert math.isfinite(numbers["neg_elbo"]["mean"]) and math.isfinite(numbers["neg_log_px_grid"]["mean"])
        assert set(numbers["neg_log_px_importance"]) == {"1", "50", "1000", "5000"}
    # the bounds are ordered: −ELBO ≥ −IS(k) (decreasing in k) ≥ exact −log p(x)
    holdout = card["holdout"]
    is_values = [holdout["neg_log_px_importance"][k]["mean"] for k in ("1", "50", "1000", "5000")]
    assert is_values == sorted(is_values, reverse=True)
    assert holdout["neg_elbo"]["mean"] > is_values[-1] > holdout["neg_log_px_grid"]["mean"]


def test_checksum_mismatch_raises_with_restore_instructions(model_copy):
    weights = _weights(model_copy)
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    weights.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="checksum") as info:
        load_checkpoint(model_copy)
    assert "git checkout -- assets/model" in str(info.value)
    assert "python -m vae_core.train" in str(info.value)


def test_truncated_file_raises(model_copy):
    weights = _weights(model_copy)
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(model_copy)


def test_truncated_file_with_matching_card_still_raises(model_copy):
    """Even if someone updates the card's sha256, an unreadable file is a CheckpointError."""
    weights = _weights(model_copy)
    weights.write_bytes(weights.read_bytes()[:1000])
    card_path = model_copy / checkpoint.CARD_NAME
    card = json.loads(card_path.read_text())
    card["weights_sha256"] = file_sha256(weights)
    card_path.write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        load_checkpoint(model_copy)


@pytest.mark.parametrize("damage", ["no_weights", "no_card", "bad_json", "no_sha"])
def test_missing_or_broken_files_raise(model_copy, damage):
    card_path = model_copy / checkpoint.CARD_NAME
    if damage == "no_weights":
        _weights(model_copy).unlink()
    elif damage == "no_card":
        card_path.unlink()
    elif damage == "bad_json":
        card_path.write_text("{ not json")
    else:
        card = json.loads(card_path.read_text())
        del card["weights_sha256"]
        card_path.write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="git checkout"):
        load_checkpoint(model_copy)


def test_pickled_objects_are_refused(tmp_path):
    """weights_only=True: a checkpoint that needs arbitrary unpickling never loads."""
    weights = tmp_path / checkpoint.WEIGHTS_NAME
    torch.save({"model_args": VAEConfig().to_dict(), "state_dict": {}, "payload": ValueError("x")}, weights)
    card = {"weights_file": checkpoint.WEIGHTS_NAME, "weights_sha256": file_sha256(weights)}
    (tmp_path / checkpoint.CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        load_checkpoint(tmp_path)


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = VAE(VAEConfig(encoder_hidden=[16], decoder_hidden=[8, 16], encoder_activation="elu")).eval()
    card = save_checkpoint(model, tmp_path, {"note": "test"})
    assert card["note"] == "test" and card["model_args"]["encoder_activation"] == "elu"
    loaded = load_checkpoint(tmp_path, device="cpu")
    assert loaded.config == model.config and not loaded.training
    z = torch.randn(5, 2)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.decode(z), model.decode(z))


class TestPickDevice:
    def test_auto_prefers_cuda(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
        assert device.pick_device("auto") == torch.device("cuda")
        assert device.pick_device(None) == torch.device("cuda")

    def test_auto_then_mps(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
        assert device.pick_device() == torch.device("mps")

    def test_auto_falls_back_to_cpu(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
        assert device.pick_device() == torch.device("cpu")

    def test_explicit_choice_wins(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        assert device.pick_device("cpu") == torch.device("cpu")
        assert device.pick_device("cuda:1") == torch.device("cuda:1")

    def test_unavailable_accelerator_is_an_error(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
        with pytest.raises(RuntimeError, match="CUDA"):
            device.pick_device("cuda")
        with pytest.raises(RuntimeError, match="MPS"):
            device.pick_device("mps")

    @pytest.mark.parametrize("bad", ["gpu", "tpu", ""])
    def test_unknown_preference_is_a_value_error(self, bad):
        with pytest.raises(ValueError):
            device.pick_device(bad)

    def test_load_pretrained_uses_the_picked_device(self, monkeypatch):
        monkeypatch.setattr(checkpoint, "pick_device", lambda preference: torch.device("cpu"))
        assert next(vae_core.load_pretrained().parameters()).device.type == "cpu"
