"""The browser copy of the model (scripts/export_browser.py writes what vae_core.export_browser computes)
is regenerated from assets/model/ exactly: same bytes as the committed static/model files, the
checkpoint's tensors rounded to int8 rows as documented, split into a decoder file and an encoder file
that each hold everything their half of the network needs, recorded in the card; and the rounding
costs the learner nothing visible (measured against the float32 model the server keeps)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from scripts.export_browser import EXPORT_DIR, export
from vae_core.checkpoint import load_checkpoint, load_model_card
from vae_core.data import file_sha256, load_holdout_binary
from vae_core.export_browser import (
    BIN_NAMES,
    CODES_NAME,
    COMMAND,
    FLOAT32_WEIGHTS,
    MANIFEST_NAME,
    PARTS,
    export_arrays,
    load_export,
    rounded_model,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def float32_model():
    return load_checkpoint(None, "cpu").eval()


@pytest.fixture(scope="module")
def shipped_model():
    return rounded_model(EXPORT_DIR)


@pytest.fixture(scope="module")
def codes():
    return json.loads((EXPORT_DIR / CODES_NAME).read_text())


def test_committed_export_is_what_the_cli_writes(tmp_path):
    export(tmp_path, update_card=False)
    for name in BIN_NAMES.values():
        assert (tmp_path / name).read_bytes() == (EXPORT_DIR / name).read_bytes()
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == json.loads((EXPORT_DIR / MANIFEST_NAME).read_text())
    assert (tmp_path / CODES_NAME).read_text() == (EXPORT_DIR / CODES_NAME).read_text()
    assert sorted(p.name for p in EXPORT_DIR.iterdir()) == sorted([*BIN_NAMES.values(), MANIFEST_NAME, CODES_NAME])


def test_holdout_codes_are_the_float32_encoders_output(float32_model, codes):
    from vae_core.data import load_digits
    from vae_core.latent import encode

    mu, sd = encode(float32_model, load_holdout_binary())
    np.testing.assert_allclose(codes["mu"], mu, atol=5.1e-5, rtol=0)
    np.testing.assert_allclose(codes["sigma"], sd, atol=5.1e-5, rtol=0)
    assert codes["labels"] == load_digits("holdout")[1].tolist()


def test_export_rounds_each_weight_row_to_int8_and_keeps_biases(float32_model):
    """Independently of quantize_rows: every weight is within half a step of its row's grid (step =
    the row's largest |w| / 127), the row's largest weight is exactly ±127 steps; 1-D tensors and
    q's two output layers are the checkpoint's bit for bit."""
    manifest, arrays = load_export(EXPORT_DIR)
    state = float32_model.state_dict()
    assert list(arrays) == list(state)
    for name, tensor in state.items():
        w = tensor.numpy().astype(np.float64)
        got = arrays[name]
        assert got.dtype == np.float32 and got.shape == w.shape
        if w.ndim == 1 or name in FLOAT32_WEIGHTS:
            np.testing.assert_array_equal(got, tensor.numpy())
            continue
        step = np.abs(w).max(axis=1, keepdims=True) / 127
        assert np.all(np.abs(got - w) <= step / 2 * (1 + 1e-6) + 1e-12), name
        steps = got.astype(np.float64) / step
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-4)  # on the grid
        np.testing.assert_allclose(np.abs(steps).max(axis=1), 127, atol=1e-4)
    assert manifest["source_sha256"] == load_model_card()["weights_sha256"]


def test_each_file_is_listed_with_its_size_and_sha256():
    manifest, _ = load_export(EXPORT_DIR)
    assert list(manifest["files"]) == list(PARTS)
    for part, entry in manifest["files"].items():
        raw = (EXPORT_DIR / entry["name"]).read_bytes()
        assert entry["name"] == BIN_NAMES[part]
        assert entry["bytes"] == len(raw) and entry["sha256"] == hashlib.sha256(raw).hexdigest()
        for t in (t for t in manifest["tensors"] if t["part"] == part):  # every tensor inside its file
            rows = t["shape"][0]
            size = rows * t["shape"][1] if t["kind"] == "int8" else 4 * int(np.prod(t["shape"]))
            assert 0 <= t["offset"] and t["offset"] + size <= len(raw)
            if t["kind"] == "int8":
                assert t["scale_offset"] % 4 == 0 and t["scale_offset"] + 4 * rows <= len(raw)
            else:
                assert t["offset"] % 4 == 0


def test_the_decoder_file_alone_decodes_and_the_encoder_file_alone_encodes(shipped_model):
    """Poison every tensor of the other file with NaN: each half of the network still gives the
    shipped model's outputs — /latent, which fetches only the decoder, misses nothing."""
    manifest, _ = load_export(EXPORT_DIR)
    z = torch.tensor(np.random.default_rng(2).uniform(-4, 4, (50, 2)), dtype=torch.float32)
    x = torch.from_numpy(load_holdout_binary()[:50].astype(np.float32))
    with torch.no_grad():
        want_x, want_q = shipped_model.decode(z), shipped_model.encode(x)
        for keep in PARTS:
            poisoned = rounded_model(EXPORT_DIR)
            state = poisoned.state_dict()
            for t in manifest["tensors"]:
                if t["part"] != keep:
                    state[t["name"]].fill_(float("nan"))
            if keep == "decoder":
                torch.testing.assert_close(poisoned.decode(z), want_x, rtol=0, atol=0)
            else:
                for got, want in zip(poisoned.encode(x), want_q, strict=True):
                    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_rounding_is_invisible_in_decoded_digits(float32_model, shipped_model, codes):
    """Over the 500 holdout codes (the map's dots), pixel probabilities of the shipped decoder differ
    from the float32 decoder's by at most 0.03 (measured 0.025: 6 grey levels of 255 at worst),
    0.001 on average."""
    mu = torch.tensor(codes["mu"], dtype=torch.float32)
    with torch.no_grad():
        diff = (torch.sigmoid(shipped_model.decode(mu)) - torch.sigmoid(float32_model.decode(mu))).abs()
    assert float(diff.max()) < 0.03
    assert float(diff.mean()) < 0.002


def test_rounding_moves_the_encoders_q_by_a_fraction_of_its_width(float32_model, shipped_model):
    """On every holdout digit: μ moves by at most 0.03 (measured 0.021; the map spans 8 units), 0.003
    on average (measured 0.0017), σ by at most 1 % (measured 0.6 %) — /draw's live ellipse and
    readouts, beside the server's float32 ledger."""
    x = torch.from_numpy(load_holdout_binary().astype(np.float32))
    with torch.no_grad():
        mu, logvar = shipped_model.encode(x)
        mu32, logvar32 = float32_model.encode(x)
    assert float((mu - mu32).abs().max()) < 0.03
    assert float((mu - mu32).abs().mean()) < 0.003
    assert float((0.5 * (logvar - logvar32)).exp().sub(1).abs().max()) < 0.01


def test_model_card_records_the_export():
    entry = load_model_card()["browser_export"]
    for part in PARTS:
        path = EXPORT_DIR / BIN_NAMES[part]
        assert entry["parts"][part] == {"sha256": file_sha256(path), "bytes": path.stat().st_size}
        assert f"static/model/{BIN_NAMES[part]}" in entry["files"]
    assert entry["bytes"] == sum((EXPORT_DIR / BIN_NAMES[p]).stat().st_size for p in PARTS)
    assert entry["command"] == COMMAND and (ROOT / COMMAND.split()[1]).is_file()


def test_the_library_computes_and_the_script_writes():
    """vae_core never writes into the app: only scripts/export_browser.py touches static/."""
    source = (ROOT / "vae_core" / "export_browser.py").read_text(encoding="utf-8")
    assert not any(call in source for call in ("write_bytes", "write_text", "mkdir", "open("))


def test_export_follows_the_state_dict_order_and_fills_each_file():
    manifest, payloads = export_arrays()
    assert [t["name"] for t in manifest["tensors"]] == list(load_checkpoint(None, "cpu").state_dict())
    for part, payload in payloads.items():
        tensors = [t for t in manifest["tensors"] if t["part"] == part]
        floats = sum(4 * (t["shape"][0] if t["kind"] == "int8" else int(np.prod(t["shape"]))) for t in tensors)
        ints = sum(t["shape"][0] * t["shape"][1] for t in tensors if t["kind"] == "int8")
        assert len(payload) == floats + ints  # nothing but the tensors, no gaps
