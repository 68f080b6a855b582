"""The browser copy of the model (scripts/export_browser.py writes what vae_core.export_browser computes)
is regenerated from assets/model/ exactly:
same bytes as the committed static/model files, same tensors as the checkpoint, recorded in the card."""

import json
from pathlib import Path

import numpy as np

from scripts.export_browser import EXPORT_DIR, export
from vae_core.checkpoint import load_checkpoint, load_model_card
from vae_core.data import file_sha256
from vae_core.export_browser import BIN_NAME, CODES_NAME, COMMAND, MANIFEST_NAME, export_arrays, load_export

ROOT = Path(__file__).resolve().parents[1]


def test_committed_export_is_what_the_cli_writes(tmp_path):
    export(tmp_path, update_card=False)
    assert (tmp_path / BIN_NAME).read_bytes() == (EXPORT_DIR / BIN_NAME).read_bytes()
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == json.loads((EXPORT_DIR / MANIFEST_NAME).read_text())
    assert (tmp_path / CODES_NAME).read_text() == (EXPORT_DIR / CODES_NAME).read_text()


def test_holdout_codes_are_the_encoders_output():
    from vae_core.data import load_digits, load_holdout_binary
    from vae_core.latent import encode

    codes = json.loads((EXPORT_DIR / CODES_NAME).read_text())
    mu, sd = encode(load_checkpoint(None, "cpu"), load_holdout_binary())
    np.testing.assert_allclose(codes["mu"], mu, atol=5.1e-5, rtol=0)
    np.testing.assert_allclose(codes["sigma"], sd, atol=5.1e-5, rtol=0)
    assert codes["labels"] == load_digits("holdout")[1].tolist()


def test_export_holds_the_checkpoint_tensors_bit_for_bit():
    manifest, arrays = load_export(EXPORT_DIR)
    state = load_checkpoint(None, "cpu").state_dict()
    assert list(arrays) == list(state)
    for name, tensor in state.items():
        np.testing.assert_array_equal(arrays[name], tensor.numpy())
    assert manifest["source_sha256"] == load_model_card()["weights_sha256"]
    assert manifest["floats"] * 4 == manifest["bytes"] == (EXPORT_DIR / BIN_NAME).stat().st_size


def test_model_card_records_the_export():
    entry = load_model_card()["browser_export"]
    assert entry["sha256"] == file_sha256(EXPORT_DIR / BIN_NAME)
    assert entry["bytes"] == (EXPORT_DIR / BIN_NAME).stat().st_size
    assert entry["command"] == COMMAND and (ROOT / COMMAND.split()[1]).is_file()


def test_the_library_computes_and_the_script_writes():
    """vae_core never writes into the app: only scripts/export_browser.py touches static/."""
    source = (ROOT / "vae_core" / "export_browser.py").read_text(encoding="utf-8")
    assert not any(call in source for call in ("write_bytes", "write_text", "mkdir", "open("))


def test_export_follows_the_state_dict_order():
    manifest, payload = export_arrays()
    offsets = [t["offset"] for t in manifest["tensors"]]
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert len(payload) == 4 * manifest["floats"]
