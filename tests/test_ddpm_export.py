"""The DDPM's browser copy (static/ddpm/, written by ``python scripts/export_browser.py --ddpm`` from what
vae_core.ddpm_export computes): regenerated bit for bit, small enough for a phone's first play, recorded
in the model card, and the int8 rounding costs the model nothing measurable."""

import json

import numpy as np
import torch

from scripts.export_browser import DDPM_EXPORT_DIR, export_ddpm
from vae_core.data import file_sha256, load_holdout_binary
from vae_core.ddpm import DDPM_DIR, load_ddpm
from vae_core.ddpm_export import BIN_NAME, MANIFEST_NAME, dequantize, load_export, quantize_rows, quantized_model


def test_committed_export_is_what_the_cli_writes(tmp_path):
    export_ddpm(tmp_path, update_card=False)
    assert (tmp_path / BIN_NAME).read_bytes() == (DDPM_EXPORT_DIR / BIN_NAME).read_bytes()
    fresh, shipped = (json.loads((d / MANIFEST_NAME).read_text()) for d in (tmp_path, DDPM_EXPORT_DIR))
    assert fresh == shipped


def test_size_and_card():
    size = (DDPM_EXPORT_DIR / BIN_NAME).stat().st_size
    assert size <= 1_200_000  # 4.3 MB as float32; a phone fetches this once, on the first play
    card = json.loads((DDPM_DIR / "model_card.json").read_text())
    entry = card["browser_export"]
    assert entry["sha256"] == file_sha256(DDPM_EXPORT_DIR / BIN_NAME) and entry["bytes"] == size
    manifest, _ = load_export(DDPM_EXPORT_DIR)
    assert manifest["source_sha256"] == card["weights_sha256"]


def test_rows_round_to_within_half_a_step():
    w = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    w[3] = 0.0
    q, scale = quantize_rows(w)
    assert q.dtype == np.int8 and np.abs(q).max() == 127
    err = np.abs(dequantize(q, scale) - w)
    assert np.all(err <= 0.5 * scale[:, None] * (1 + 1e-6))
    assert np.all(dequantize(q, scale)[3] == 0)


def test_export_holds_every_tensor_within_its_rounding():
    _, arrays = load_export(DDPM_EXPORT_DIR)
    state = load_ddpm(device="cpu").state_dict()
    assert list(arrays) == list(state)
    for name, tensor in state.items():
        w = tensor.numpy()
        if w.ndim == 1:
            np.testing.assert_array_equal(arrays[name], w)
        else:
            step = np.abs(w).max(axis=1, keepdims=True) / 127
            assert np.all(np.abs(arrays[name] - w) <= 0.5001 * step), name


def test_int8_weights_keep_the_bound():
    """The bound on 100 holdout digits (every 10th step, the same draws for both): the int8 network's
    differs from the float32 one's by less than 0.1 nats per digit and within 3 paired standard errors."""
    torch.set_num_threads(1)
    bits = torch.tensor(load_holdout_binary()[:100], dtype=torch.float32)
    steps = torch.arange(2, 1001, 10)
    bounds = []
    for model in (load_ddpm(device="cpu"), quantized_model(DDPM_EXPORT_DIR)):
        terms = model.bound_terms(bits, torch.Generator().manual_seed(1), steps)
        bounds.append(-terms.elbo.numpy().astype(np.float64))
    diff = bounds[1] - bounds[0]
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean()) < 0.1 and abs(diff.mean()) < 3 * se + 1e-6, (diff.mean(), se)
