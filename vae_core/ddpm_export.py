"""The shipped DDPM as the browser reads it: pure functions that turn ``assets/ddpm`` into bytes;
``python scripts/export_browser.py --ddpm`` writes them into ``static/ddpm/`` (this library never
writes into the app). static/live/ddpm_model.js runs ε_θ(x_t, t) from them.

Storage (1.08 MB instead of 4.3 MB of float32, fetched only when the /diffusion page's "watch it
draw" view first plays):

- every 2-D weight matrix W (out, in) as int8 with one float32 scale per output row:
  s_r = max_c |W_rc| / 127, q_rc = round(W_rc / s_r) ∈ [−127, 127], and the browser's weight is
  float32(q_rc · s_r) — the same float32 numpy computes (q · s is exact in float64), so the browser
  and :func:`quantized_model` run bit-identical weights;
- biases and LayerNorm parameters as float32.

Files: ``ddpm_q8.bin`` (the float32 section — 1-D tensors and the row scales — then the int8
section; offsets in bytes) and ``ddpm.json`` (architecture, each tensor's name, shape, kind, offsets,
the .bin's sha256 and the checkpoint's). What the rounding costs is measured against the float32
weights in tests/test_ddpm_export.py: the variational bound on 100 holdout digits moves by less than
its paired standard error (−0.007 ± 0.009 nats per digit, with the same draws), and x̂₀ by < 0.05 a
pixel. The browser's parity with torch (tests/browser/test_live_ddpm.py) is then against
:func:`quantized_model`, to float tolerance (1e-5).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np

BIN_NAME = "ddpm_q8.bin"
MANIFEST_NAME = "ddpm.json"
EXPORT_FORMAT = 1
COMMAND = "python scripts/export_browser.py --ddpm"
QMAX = 127


def quantize_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 q (out, in), float32 scales (out,)) with W ≈ q · s row by row; an all-zero row gets s = 1."""
    w = np.asarray(weight, dtype=np.float64)
    peak = np.abs(w).max(axis=1)
    scale = np.where(peak > 0, peak / QMAX, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale.astype(np.float64)[:, None]), -QMAX, QMAX).astype(np.int8)
    return q, scale


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32(q · s): what the browser computes (q · s is exact in float64, then one rounding)."""
    return (q.astype(np.float64) * scale.astype(np.float64)[:, None]).astype(np.float32)


def _state(model_dir: Path | None):
    from vae_core.ddpm import load_ddpm

    return load_ddpm(model_dir, "cpu")


def _time_freqs(dim: int) -> np.ndarray:
    """The float32 frequencies of vae_core.ddpm.timestep_embedding, by the same torch expression."""
    import math

    import torch

    half = dim // 2
    return torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half).numpy()


def export_arrays(model_dir: Path | None = None) -> tuple[dict, bytes]:
    """(manifest without the .bin's sha256, the .bin's bytes) for the DDPM in ``model_dir``."""
    from vae_core.ddpm import CARD_NAME, DDPM_DIR

    model = _state(model_dir)
    card = json.loads((Path(model_dir or DDPM_DIR) / CARD_NAME).read_text(encoding="utf-8"))
    floats, ints, tensors = [], [], []
    f_off = 0
    items = [(k, v.detach().cpu().numpy()) for k, v in model.state_dict().items()]
    f_total = sum(a.size if a.ndim == 1 else a.shape[0] for _, a in items) * 4
    i_off = f_total
    for name, array in items:
        if array.ndim == 2:
            q, scale = quantize_rows(array)
            entry = {"name": name, "shape": list(array.shape), "kind": "int8", "offset": i_off, "scale_offset": f_off}
            tensors.append(entry)
            floats.append(scale.astype("<f4").tobytes())
            ints.append(q.tobytes(order="C"))
            f_off += 4 * scale.size
            i_off += q.size
        else:
            tensors.append({"name": name, "shape": list(array.shape), "kind": "float32", "offset": f_off})
            floats.append(array.astype("<f4").tobytes())
            f_off += 4 * array.size
    assert f_off == f_total
    manifest = {
        "format": EXPORT_FORMAT,
        "storage": "int8 weights with a float32 scale per output row; float32 biases and LayerNorm",
        "model_args": model.config.to_dict(),
        "source_sha256": card["weights_sha256"],
        "tensors": tensors,
        # e(t)'s frequencies exactly as torch computes them in float32 (the browser's exp may differ
        # by an ulp, and at t = 1000 an ulp of frequency is 6e-5 rad of angle)
        "time_freqs": [float(f) for f in _time_freqs(model.config.time_dim)],
        "command": COMMAND,
    }
    return manifest, b"".join(floats) + b"".join(ints)


def ddpm_files(model_dir: Path | None = None) -> tuple[dict, dict[str, bytes]]:
    """(manifest, {file name: bytes}) of the browser's copy of the DDPM."""
    manifest, payload = export_arrays(model_dir)
    manifest["sha256"] = hashlib.sha256(payload).hexdigest()
    manifest["bytes"] = len(payload)
    return manifest, {BIN_NAME: payload, MANIFEST_NAME: (json.dumps(manifest, indent=1) + "\n").encode()}


def load_export(out_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, {name: float32 array}) from the files in ``out_dir``, dequantized as the browser does."""
    manifest = json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    raw = (Path(out_dir) / BIN_NAME).read_bytes()
    arrays = {}
    for t in manifest["tensors"]:
        shape = t["shape"]
        if t["kind"] == "int8":
            q = np.frombuffer(raw, dtype=np.int8, count=shape[0] * shape[1], offset=t["offset"]).reshape(shape)
            scale = np.frombuffer(raw, dtype="<f4", count=shape[0], offset=t["scale_offset"])
            arrays[t["name"]] = dequantize(q, scale)
        else:
            arrays[t["name"]] = np.frombuffer(raw, dtype="<f4", count=int(np.prod(shape)), offset=t["offset"]).copy()
    return manifest, arrays


def quantized_model(out_dir: Path, model_dir: Path | None = None):
    """The shipped DDPM with the exported (dequantized) weights: the network the browser runs."""
    import torch

    model = copy.deepcopy(_state(model_dir))
    _, arrays = load_export(out_dir)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    return model.eval()
