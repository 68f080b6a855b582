"""The pretrained VAE and its training timeline as the browser reads them: pure functions that turn
the checkpoint and the timeline into bytes. ``python scripts/export_browser.py`` writes them into
``static/`` (this library never writes into the app).

The live latent pad decodes and the drawing pad encodes at every frame in the browser
(static/live/model.js), from a copy of the shipped weights that a browser fetches once per visit:

- ``static/model/vae_f32.bin`` — every tensor of the state_dict, float32 little-endian, concatenated;
- ``static/model/vae.json`` — the manifest: architecture, each tensor's name, shape and offset (in
  floats), the sha256 of the .bin and of the checkpoint it came from;
- ``static/model/holdout_codes.json`` — the encoder's q(z|x) = N(μ, diag σ²) for the 500 holdout digits
  (the model card's fixed binarization) and their labels: the latent map's dots, drawn client-side.

The trained checkpoint in ``assets/model/`` stays the truth: the export is regenerated from it, the
model card records the export's sha256, and tests hold the browser's outputs equal to torch's
(decoder pixel probabilities to 1e-5, encoder μ and log σ² to 1e-4). float32 rather than float16:
2.9 MB once per visit buys float tolerance, where float16 weights move pixel probabilities by ~1e-3.

``python scripts/export_browser.py --timeline`` writes the training timeline for the /training
page's scrubber (static/live/timeline.js) from ``assets/training/timeline.npz``, fetched once per
visit: ``static/training/timeline.json`` (epochs, labels, the curves of eq. 1.4.12's terms, KL per
dimension, the two files' shapes and sha256), ``mu_f32.bin`` (holdout μ, float32 (S, 500, 2): the
npz's float16 values, exactly) and ``manifold_u8.bin`` (uint8 (S, 15, 15, 784), as in the npz).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from vae_core.checkpoint import load_checkpoint, load_model_card

COMMAND = "python scripts/export_browser.py"  # what writes these files (recorded in them and in the model card)
BIN_NAME = "vae_f32.bin"
MANIFEST_NAME = "vae.json"
CODES_NAME = "holdout_codes.json"
EXPORT_FORMAT = 1
TIMELINE_JSON, TIMELINE_MU, TIMELINE_MANIFOLD = "timeline.json", "mu_f32.bin", "manifold_u8.bin"
CURVES = tuple(f"{split}_{key}" for split in ("train", "holdout") for key in ("elbo", "recon", "kl"))


def export_arrays(model_dir: Path | None = None) -> tuple[dict, bytes]:
    """(manifest without the .bin's sha256, the .bin's bytes) for the checkpoint in ``model_dir``."""
    model = load_checkpoint(model_dir, "cpu")
    card = load_model_card(model_dir)
    tensors, chunks, offset = [], [], 0
    for name, tensor in model.state_dict().items():
        array = tensor.detach().cpu().numpy().astype("<f4", copy=False)
        tensors.append({"name": name, "shape": list(array.shape), "offset": offset})
        chunks.append(array.tobytes(order="C"))
        offset += array.size
    manifest = {
        "format": EXPORT_FORMAT,
        "dtype": "float32",
        "model_args": model.config.to_dict(),
        "source_sha256": card["weights_sha256"],
        "tensors": tensors,
        "floats": offset,
    }
    return manifest, b"".join(chunks)


def holdout_codes(model_dir: Path | None = None) -> dict:
    """μ and σ of q(z|x) for every holdout digit (4 decimals: 1e-4 in z is far below a pixel of the
    map) and the digits' labels."""
    from vae_core.data import load_digits, load_holdout_binary
    from vae_core.latent import encode

    mu, sd = encode(load_checkpoint(model_dir, "cpu"), load_holdout_binary())
    return {
        "mu": np.round(mu, 4).tolist(),
        "sigma": np.round(sd, 4).tolist(),
        "labels": load_digits("holdout")[1].astype(int).tolist(),
    }


def model_files(model_dir: Path | None = None) -> tuple[dict, dict[str, bytes]]:
    """(manifest, {file name: bytes}) of the browser's copy of the checkpoint in ``model_dir``: the
    .bin, the manifest (with the .bin's sha256 and size) and the holdout codes."""
    manifest, payload = export_arrays(model_dir)
    manifest["sha256"] = hashlib.sha256(payload).hexdigest()
    manifest["bytes"] = len(payload)
    codes = json.dumps(holdout_codes(model_dir), separators=(",", ":")) + "\n"
    return manifest, {
        BIN_NAME: payload,
        MANIFEST_NAME: (json.dumps(manifest, indent=1) + "\n").encode(),
        CODES_NAME: codes.encode(),
    }


def card_entry(manifest: dict) -> dict:
    """The model card's ``browser_export`` entry for an exported manifest."""
    return {
        "files": [f"static/model/{BIN_NAME}", f"static/model/{MANIFEST_NAME}", f"static/model/{CODES_NAME}"],
        "sha256": manifest["sha256"],
        "bytes": manifest["bytes"],
        "dtype": "float32",
        "command": COMMAND,
    }


def load_export(out_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, {name: float32 array}) from the files in ``out_dir``, as a browser reads them — for
    tests and checks."""
    manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    flat = np.frombuffer((out_dir / BIN_NAME).read_bytes(), dtype="<f4")
    arrays = {
        t["name"]: flat[t["offset"] : t["offset"] + int(np.prod(t["shape"]))].reshape(t["shape"])
        for t in manifest["tensors"]
    }
    return manifest, arrays


def timeline_files(arrays: dict[str, np.ndarray], source_sha256: str) -> dict[str, bytes]:
    """{file name: bytes} of the browser's timeline, from the arrays of ``assets/training/timeline.npz``."""
    mu = np.ascontiguousarray(arrays["mu"], dtype="<f4")  # float16 → float32 is exact
    manifold = np.ascontiguousarray(arrays["manifold"], dtype=np.uint8)
    binaries = {TIMELINE_MU: mu.tobytes(), TIMELINE_MANIFOLD: manifold.tobytes()}
    note = {
        "format": EXPORT_FORMAT,
        "source": "assets/training/timeline.npz",
        "source_sha256": source_sha256,
        "epochs": arrays["epochs"].astype(int).tolist(),
        "labels": arrays["labels"].astype(int).tolist(),
        "curves": {name: arrays[name].astype(float).tolist() for name in CURVES},
        "kl_per_dim": arrays["kl_per_dim"].astype(float).tolist(),
        "manifold_axis": arrays["manifold_axis"].astype(float).tolist(),
        "files": {
            TIMELINE_MU: {
                "dtype": "float32",
                "shape": list(mu.shape),
                "sha256": hashlib.sha256(binaries[TIMELINE_MU]).hexdigest(),
            },
            TIMELINE_MANIFOLD: {
                "dtype": "uint8",
                "shape": list(manifold.shape),
                "sha256": hashlib.sha256(binaries[TIMELINE_MANIFOLD]).hexdigest(),
            },
        },
        "command": f"{COMMAND} --timeline",
    }
    return {TIMELINE_JSON: (json.dumps(note, separators=(",", ":")) + "\n").encode(), **binaries}
