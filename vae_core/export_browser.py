"""Export the pretrained VAE for the browser: ``python -m vae_core.export_browser``.

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
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vae_core.checkpoint import CARD_NAME, MODEL_DIR, load_checkpoint, load_model_card
from vae_core.data import file_sha256

ROOT = Path(__file__).resolve().parents[1]
EXPORT_DIR = ROOT / "static" / "model"
BIN_NAME = "vae_f32.bin"
MANIFEST_NAME = "vae.json"
CODES_NAME = "holdout_codes.json"
EXPORT_FORMAT = 1


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
    return {"mu": np.round(mu, 4).tolist(), "sigma": np.round(sd, 4).tolist(),
            "labels": load_digits("holdout")[1].astype(int).tolist()}


def export(out_dir: Path = EXPORT_DIR, model_dir: Path | None = None, update_card: bool = True) -> dict:
    """Write the .bin, the manifest and the holdout codes to ``out_dir``; record them in the model
    card. Returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest, payload = export_arrays(model_dir)
    (out_dir / CODES_NAME).write_text(json.dumps(holdout_codes(model_dir), separators=(",", ":")) + "\n",
                                      encoding="utf-8")
    (out_dir / BIN_NAME).write_bytes(payload)
    manifest["sha256"] = file_sha256(out_dir / BIN_NAME)
    manifest["bytes"] = len(payload)
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if update_card:
        card_path = Path(model_dir or MODEL_DIR) / CARD_NAME
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["browser_export"] = {
            "files": [f"static/model/{BIN_NAME}", f"static/model/{MANIFEST_NAME}", f"static/model/{CODES_NAME}"],
            "sha256": manifest["sha256"], "bytes": manifest["bytes"], "dtype": "float32",
            "command": "python -m vae_core.export_browser",
        }
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def load_export(out_dir: Path = EXPORT_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, {name: float32 array}) as a browser reads them — for tests and checks."""
    manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    flat = np.frombuffer((out_dir / BIN_NAME).read_bytes(), dtype="<f4")
    arrays = {t["name"]: flat[t["offset"]: t["offset"] + int(np.prod(t["shape"]))].reshape(t["shape"])
              for t in manifest["tensors"]}
    return manifest, arrays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXPORT_DIR, help="folder for vae_f32.bin and vae.json")
    args = parser.parse_args(argv)
    manifest = export(args.out)
    print(f"wrote {args.out / BIN_NAME} ({manifest['bytes']:,} bytes, sha256 {manifest['sha256'][:12]}…)")


if __name__ == "__main__":
    main()
