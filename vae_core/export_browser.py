"""The pretrained VAE and its training timeline as the browser reads them: pure functions that turn
the checkpoint and the timeline into bytes. ``python scripts/export_browser.py`` writes them into
``static/`` (this library never writes into the app).

The live latent pad decodes and the drawing pad encodes at every frame in the browser
(static/live/model.js), from a copy of the shipped weights that a browser fetches once per visit.
A phone's first visit to /latent or /draw has to stay under 4 MB (issue 22), so the copy is compact
and split by what each page needs:

- ``static/model/vae_decoder_q8.bin`` — the decoder p_θ(x|z) (``decoder.*``): all that /latent
  fetches (0.55 MB, 0.48 MB gzipped, instead of 2.9 MB of float32 for the whole model);
- ``static/model/vae_encoder_q8.bin`` — the encoder q_φ(z|x) (``encoder_body.*``, ``to_mu``,
  ``to_logvar``): /draw fetches it beside the decoder (0.20 MB);
- storage, as for the DDPM (vae_core/ddpm_export.py): every 2-D weight matrix W (out, in) as int8
  with one float32 scale per output row (s_r = max_c |W_rc| / 127), biases and the encoder's two
  output layers (``to_mu``, ``to_logvar``: 3 KB) float32; each .bin holds
  its float32 section (biases, scales) then its int8 section, offsets in bytes. The browser's weight
  is float32(q · s), the same number :func:`rounded_model` computes, so browser and torch run
  bit-identical weights;
- ``static/model/vae.json`` — the manifest: architecture, each tensor's name, shape, part, kind and
  offsets, each .bin's name, size and sha256 (the browser's cache-busting key), the checkpoint's sha256;
- ``static/model/holdout_codes.json`` — the encoder's q(z|x) = N(μ, diag σ²) for the 500 holdout digits
  (the model card's fixed binarization, computed by the float32 model) and their labels: the latent
  map's dots, drawn client-side.

The trained checkpoint in ``assets/model/`` stays the truth, and the server keeps running it in
float32: every number in the ledgers is the float32 model's. The export is regenerated from it and
the model card records it. Tests hold the browser's outputs equal to :func:`rounded_model`'s
(pixel probabilities to 1e-5, μ and log σ² to 1e-4) and measure what the rounding costs against the
float32 model (tests/test_export_browser.py: over the 500 holdout codes a decoded pixel moves by at
most 0.025 of the [0, 1] range, μ by at most 0.021). float16 would move pixels by only 6e-4, but its
1.36 MB gzipped (decoder alone 0.99) leaves both pages above 4 MB while their charts use plotly.

``python scripts/export_browser.py --timeline`` writes the training timeline for the /training
page's scrubber (static/live/timeline.js) from ``assets/training/timeline.npz``, fetched once per
visit: ``static/training/timeline.json`` (epochs, labels, the curves of eq. 1.4.12's terms, KL per
dimension, the two files' shapes and sha256), ``mu_f32.bin`` (holdout μ, float32 (S, 500, 2): the
npz's float16 values, exactly) and ``manifold_u8.bin`` (uint8 (S, 15, 15, 784), as in the npz).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np

from vae_core.checkpoint import load_checkpoint, load_model_card
from vae_core.ddpm_export import dequantize, quantize_rows

COMMAND = "python scripts/export_browser.py"  # what writes these files (recorded in them and in the model card)
PARTS = ("decoder", "encoder")  # /latent fetches the first only; /draw both
BIN_NAMES = {"decoder": "vae_decoder_q8.bin", "encoder": "vae_encoder_q8.bin"}
MANIFEST_NAME = "vae.json"
CODES_NAME = "holdout_codes.json"
EXPORT_FORMAT = 2  # the model's files (1: one float32 .bin of the whole model)
TIMELINE_FORMAT = 1  # the timeline's files
STORAGE = "int8 weights with a float32 scale per output row; float32 biases and q's two output layers"
# q's output layers set μ and log σ² directly: float32 costs 3 KB and cuts μ's rounding error 3-fold
# (mean |Δμ| over the holdout digits 0.0053 → 0.0017; /draw prints μ to 3 decimals)
FLOAT32_WEIGHTS = ("to_mu.weight", "to_logvar.weight")
TIMELINE_JSON, TIMELINE_MU, TIMELINE_MANIFOLD = "timeline.json", "mu_f32.bin", "manifold_u8.bin"
CURVES = tuple(f"{split}_{key}" for split in ("train", "holdout") for key in ("elbo", "recon", "kl"))


def part_of(name: str) -> str:
    """Which file a state_dict tensor goes to: the decoder's own, or the encoder's."""
    return "decoder" if name.startswith("decoder.") else "encoder"


def _pack(items: list[tuple[str, np.ndarray]], part: str) -> tuple[list[dict], bytes]:
    """(tensor entries, bytes) of one part: the float32 section (biases, row scales) then the int8
    section (offsets in bytes, so every Float32Array view starts aligned)."""
    f_total = 4 * sum(a.shape[0] if a.ndim == 2 and n not in FLOAT32_WEIGHTS else a.size for n, a in items)
    floats, ints, entries, f_off, i_off = [], [], [], 0, f_total
    for name, array in items:
        entry = {"name": name, "shape": list(array.shape), "part": part}
        if array.ndim == 2 and name not in FLOAT32_WEIGHTS:
            q, scale = quantize_rows(array)
            entry.update(kind="int8", offset=i_off, scale_offset=f_off)
            floats.append(scale.astype("<f4").tobytes())
            ints.append(q.tobytes(order="C"))
            f_off, i_off = f_off + 4 * scale.size, i_off + q.size
        else:
            entry.update(kind="float32", offset=f_off)
            floats.append(array.astype("<f4").tobytes())
            f_off += 4 * array.size
        entries.append(entry)
    assert f_off == f_total
    return entries, b"".join(floats) + b"".join(ints)


def export_arrays(model_dir: Path | None = None) -> tuple[dict, dict[str, bytes]]:
    """(manifest, {part: .bin bytes}) for the checkpoint in ``model_dir``."""
    model = load_checkpoint(model_dir, "cpu")
    card = load_model_card(model_dir)
    items = [(name, tensor.detach().cpu().numpy()) for name, tensor in model.state_dict().items()]
    tensors, payloads, files = [], {}, {}
    for part in PARTS:
        entries, payloads[part] = _pack([(n, a) for n, a in items if part_of(n) == part], part)
        tensors += entries
        files[part] = {
            "name": BIN_NAMES[part],
            "bytes": len(payloads[part]),
            "sha256": hashlib.sha256(payloads[part]).hexdigest(),
        }
    order = [name for name, _ in items]
    manifest = {
        "format": EXPORT_FORMAT,
        "storage": STORAGE,
        "model_args": model.config.to_dict(),
        "source_sha256": card["weights_sha256"],
        "files": files,
        "tensors": sorted(tensors, key=lambda t: order.index(t["name"])),
        "command": COMMAND,
    }
    return manifest, payloads


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
    two .bin files, the manifest and the holdout codes."""
    manifest, payloads = export_arrays(model_dir)
    codes = json.dumps(holdout_codes(model_dir), separators=(",", ":")) + "\n"
    return manifest, {
        **{BIN_NAMES[part]: payloads[part] for part in PARTS},
        MANIFEST_NAME: (json.dumps(manifest, indent=1) + "\n").encode(),
        CODES_NAME: codes.encode(),
    }


def card_entry(manifest: dict) -> dict:
    """The model card's ``browser_export`` entry for an exported manifest."""
    files = manifest["files"]
    return {
        "files": [f"static/model/{files[part]['name']}" for part in PARTS]
        + [f"static/model/{MANIFEST_NAME}", f"static/model/{CODES_NAME}"],
        "parts": {part: {"sha256": files[part]["sha256"], "bytes": files[part]["bytes"]} for part in PARTS},
        "bytes": sum(files[part]["bytes"] for part in PARTS),
        "storage": manifest["storage"],
        "command": COMMAND,
    }


def load_export(out_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, {name: float32 array}) from the files in ``out_dir``, dequantized as the browser
    does — for tests and checks."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    raw = {part: (out_dir / entry["name"]).read_bytes() for part, entry in manifest["files"].items()}
    arrays = {}
    for t in manifest["tensors"]:
        data, shape = raw[t["part"]], t["shape"]
        if t["kind"] == "int8":
            q = np.frombuffer(data, dtype=np.int8, count=shape[0] * shape[1], offset=t["offset"]).reshape(shape)
            scale = np.frombuffer(data, dtype="<f4", count=shape[0], offset=t["scale_offset"])
            arrays[t["name"]] = dequantize(q, scale)
        else:
            flat = np.frombuffer(data, dtype="<f4", count=int(np.prod(shape)), offset=t["offset"])
            arrays[t["name"]] = flat.reshape(shape).copy()
    return manifest, arrays


def rounded_model(out_dir: Path, model_dir: Path | None = None):
    """The VAE with the exported (dequantized) weights: the network the browser runs (the server's
    own model stays float32)."""
    import torch

    model = copy.deepcopy(load_checkpoint(model_dir, "cpu"))
    _, arrays = load_export(out_dir)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    return model.eval()


def timeline_files(arrays: dict[str, np.ndarray], source_sha256: str) -> dict[str, bytes]:
    """{file name: bytes} of the browser's timeline, from the arrays of ``assets/training/timeline.npz``."""
    mu = np.ascontiguousarray(arrays["mu"], dtype="<f4")  # float16 → float32 is exact
    manifold = np.ascontiguousarray(arrays["manifold"], dtype=np.uint8)
    binaries = {TIMELINE_MU: mu.tobytes(), TIMELINE_MANIFOLD: manifold.tobytes()}
    note = {
        "format": TIMELINE_FORMAT,
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
