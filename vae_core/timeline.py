"""The shipped training run as a timeline: snapshots of what the /training page shows.

    python -m vae_core.timeline --out assets/training --update-model-card

re-runs the shipped recipe exactly (config, seed, data, dynamic binarization and learning-rate
schedule read from ``assets/model/model_card.json``) on one CPU thread, and at about 25
log-spaced epochs (0 = the initialization, 1, 2, 3, 5, 8, … 300) records:

- the encoder q_φ(z|x) = N(μ, diag σ²) on the 500 fixed-binarized holdout digits: μ and σ (the
  latent map), and KL(q ‖ p(z)) per latent dimension;
- the decoder p_θ(x|z) on a 15 × 15 grid of prior quantiles (the manifold), pixel means as uint8;
- the terms of eq. 1.4.12 — ELBO, reconstruction E_q[log p_θ(x|z)] and KL(q ‖ p(z)), nats per
  digit — on the holdout and on the train-eval subset, measured exactly as the model card
  measures them (200 samples per digit, the same seed), so the last snapshot repeats the card.

CPU training is deterministic: the run's final weights equal ``assets/model/vae_weights.pt`` bit
for bit; the note records the sha256 of the final state_dict's tensors (:func:`state_sha256`) and
whether it matched. Decoder weights are not stored: as float16 they are 1.07 MB per snapshot (27 MB
for 25), over the 10 MB budget; the manifold grids carry the decoder's picture instead.

Files: ``timeline.npz`` (byte-for-byte reproducible: fixed zip timestamps) and ``timeline.json``
(the recipe, the arrays' meaning and shapes, the checksums; ``run`` holds the timings, the only
part that differs between two runs). Read them with :func:`load_timeline`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import time
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import torch

from vae_core import latent
from vae_core.checkpoint import MODEL_DIR, WEIGHTS_NAME, load_model_card
from vae_core.data import (
    BINARIZATION_SEED,
    TRAIN_EVAL_SEED,
    file_sha256,
    load_digits,
    load_holdout_binary,
    load_train_eval_binary,
)
from vae_core.device import device_description, pick_device
from vae_core.evaluate import elbo_terms
from vae_core.model import VAE, VAEConfig
from vae_core.timeline_data import (  # noqa: F401  (the timeline's data side, re-exported: it needs no torch)
    COMMAND,
    MANIFOLD_N,
    NOTE_NAME,
    NPZ_NAME,
    TIMELINE_DIR,
    Snapshot,
    kl_per_dimension,
    load_timeline,
)
from vae_core.train import DEFAULT_THREADS, EVAL_SEED, EvalConfig, TrainConfig, train_model

FORMAT_VERSION = 1
SNAPSHOTS = 25
ELBO_SAMPLES = EvalConfig().elbo_samples  # as the model card: the last snapshot repeats its numbers
SIZE_BUDGET_BYTES = 10_000_000
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: two runs write identical bytes


def snapshot_epochs(epochs: int, count: int = SNAPSHOTS) -> list[int]:
    """About ``count`` log-spaced epochs from 0 (the initialization) to ``epochs``, both included:
    0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 14, … 241, 300 for 300 epochs (every epoch when there are fewer)."""
    if epochs + 1 <= count:
        return list(range(epochs + 1))
    chosen: list[int] = []
    for k in range(count - 1, 4 * count):
        chosen = [0, *sorted({int(e) for e in np.round(np.geomspace(1, epochs, k))})]
        if len(chosen) >= count:
            break
    return chosen


def state_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over a state_dict's names, dtypes, shapes and raw tensor bytes, in order: equal for
    bit-identical weights, whatever file they were saved in."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def shipped_state_sha256(model_dir: Path | str = MODEL_DIR) -> str:
    """:func:`state_sha256` of the shipped weights file (loaded with ``weights_only=True``)."""
    payload = torch.load(Path(model_dir) / WEIGHTS_NAME, map_location="cpu", weights_only=True)
    return state_sha256(payload["state_dict"])


def shipped_recipe(card: dict | None = None) -> tuple[VAEConfig, TrainConfig]:
    """The architecture and the training recipe recorded in the model card."""
    card = card if card is not None else load_model_card()
    known = {f.name for f in fields(TrainConfig)}
    train_cfg = TrainConfig(**{k: v for k, v in card["training"].items() if k in known})
    return VAEConfig.from_dict(card["model_args"]), train_cfg


def elbo_summary(model: VAE, x_binary: np.ndarray, samples: int = ELBO_SAMPLES, seed: int = EVAL_SEED) -> dict:
    """Mean ELBO, reconstruction term and KL(q ‖ p(z)) over fixed binary images (N, 784), nats; the
    model card's numbers (``vae_core.train.evaluate_split``) for the same samples and seed."""
    device = next(model.parameters()).device
    x = torch.as_tensor(x_binary, device=device).float()
    terms = elbo_terms(model, x, samples, torch.Generator(device=device).manual_seed(seed))
    return {
        "elbo": float(terms.elbo.double().cpu().mean()),
        "recon": float(terms.recon.double().cpu().mean()),
        "kl": float(terms.kl.double().cpu().mean()),
    }


def manifold_uint8(model: VAE, n: int = MANIFOLD_N) -> np.ndarray:
    """Decoded pixel means on the n × n prior-quantile grid as uint8 (n, n, 784), 0 = background."""
    return np.rint(255.0 * latent.manifold(model, n)).astype(np.uint8)


def take_snapshot(
    model: VAE,
    epoch: int,
    holdout: np.ndarray,
    train_eval: np.ndarray,
    manifold_n: int = MANIFOLD_N,
    elbo_samples: int = ELBO_SAMPLES,
) -> Snapshot:
    """A :class:`Snapshot` of ``model`` (eval mode) on the fixed binary holdout and train-eval digits."""
    mu, sigma = latent.encode(model, holdout)
    return Snapshot(
        epoch=epoch,
        mu=mu,
        sigma=sigma,
        kl_per_dim=kl_per_dimension(mu, sigma),
        manifold=manifold_uint8(model, manifold_n),
        holdout=elbo_summary(model, holdout, elbo_samples),
        train=elbo_summary(model, train_eval, elbo_samples),
    )


def record_run(
    model_cfg: VAEConfig,
    train_cfg: TrainConfig,
    device: torch.device,
    epochs: list[int],
    manifold_n: int = MANIFOLD_N,
    elbo_samples: int = ELBO_SAMPLES,
    progress: bool = False,
) -> tuple[list[Snapshot], list[float], VAE]:
    """Train with :func:`vae_core.train.train_model` and snapshot the model at ``epochs``.

    Returns the snapshots, the per-epoch training loss and the trained model."""
    holdout, train_eval = load_holdout_binary(), load_train_eval_binary()
    wanted = set(epochs)
    snapshots: list[Snapshot] = []

    def on_epoch(epoch: int, model: VAE) -> None:
        if epoch in wanted:
            snapshots.append(take_snapshot(model, epoch, holdout, train_eval, manifold_n, elbo_samples))

    model, history = train_model(model_cfg, train_cfg, device, progress=progress, on_epoch=on_epoch)
    return snapshots, history, model


def timeline_arrays(snapshots: list[Snapshot], history: list[float], labels: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of ``timeline.npz`` (S snapshots, N = 500 holdout digits, n² manifold cells)."""

    def column(split: str, key: str) -> np.ndarray:
        return np.array([getattr(s, split)[key] for s in snapshots], dtype=np.float64)

    n = snapshots[0].manifold.shape[0]
    arrays = {
        "epochs": np.array([s.epoch for s in snapshots], dtype=np.int16),
        "labels": np.asarray(labels, dtype=np.uint8),
        "mu": np.stack([s.mu for s in snapshots]).astype(np.float16),
        "sigma": np.stack([s.sigma for s in snapshots]).astype(np.float16),
        "kl_per_dim": np.stack([s.kl_per_dim for s in snapshots]).astype(np.float64),
        "manifold": np.stack([s.manifold for s in snapshots]),
        "manifold_axis": latent.prior_quantile_axis(n).astype(np.float64),
        "train_loss": np.asarray(history, dtype=np.float64),
        "format_version": np.int64(FORMAT_VERSION),
    }
    for split in ("holdout", "train"):
        for key in ("elbo", "recon", "kl"):
            arrays[f"{split}_{key}"] = column(split, key)
    return arrays


ARRAY_NOTES = {
    "epochs": "epoch of each snapshot (0 = the initialization, before any step)",
    "labels": "digit class of each holdout digit (the order of load_digits('holdout'))",
    "mu": "encoder means μ_φ(x) on the fixed-binarized holdout digits, float16",
    "sigma": "encoder standard deviations σ_φ(x) = exp(½ log σ²), float16",
    "kl_per_dim": "holdout mean of ½(μⱼ² + σⱼ² − 1 − log σⱼ²) per latent dimension j, nats",
    "manifold": "decoded pixel means × 255 (uint8, 0 = background) on the n × n prior-quantile grid of "
    "vae_core.latent.manifold_latents (row 0 = top = largest z₂, column 0 = smallest z₁)",
    "manifold_axis": "the grid's latent values Φ⁻¹((i + ½)/n) along each axis",
    "train_loss": "mean training loss −(recon − KL) per epoch 1…E on the dynamically binarized batches, nats",
    "holdout_elbo": "eq. 1.4.12 ELBO on the 500 fixed-binarized holdout digits (200 samples per digit), nats",
    "holdout_recon": "reconstruction term E_q[log p_θ(x|z)] on the holdout, nats",
    "holdout_kl": "KL(q_φ(z|x) ‖ p(z)) on the holdout, nats",
    "train_elbo": "ELBO on the 500-digit train-eval subset (vae_core.data.load_train_eval_binary), nats",
    "train_recon": "reconstruction term on the train-eval subset, nats",
    "train_kl": "KL(q ‖ p(z)) on the train-eval subset, nats",
    "format_version": "this file's layout version",
}


def write_npz(path: Path | str, arrays: Mapping[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed`` (no pickles), but with fixed member timestamps, so the same
    arrays always give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def timeline_card_entry(note: dict, directory: str = "assets/training") -> dict:
    """The model card's ``timeline`` entry: where the file is, its checksum, epochs and size."""
    return {
        "file": f"{directory}/{note['file']}",
        "note": f"{directory}/{NOTE_NAME}",
        "sha256": note["sha256"],
        "bytes": note["bytes"],
        "snapshot_epochs": note["snapshot_epochs"],
        "final_state_sha256": note["final_state_sha256"],
        "final_equals_shipped_weights": note["final_equals_shipped_weights"],
        "command": COMMAND,
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vae_core.timeline", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="directory for timeline.npz and timeline.json")
    p.add_argument("--device", default="cpu", help="cpu (default: bit-for-bit reproducible) | auto | cuda | mps")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs (tests)")
    p.add_argument("--subset", type=int, default=None, help="train on N evenly spaced digits only (tests)")
    p.add_argument("--snapshots", type=int, default=SNAPSHOTS)
    p.add_argument("--manifold-n", type=int, default=MANIFOLD_N)
    p.add_argument("--elbo-samples", type=int, default=ELBO_SAMPLES)
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    p.add_argument(
        "--update-model-card", action="store_true", help="write the 'timeline' entry into assets/model/model_card.json"
    )
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _run(args)
    finally:
        torch.set_num_threads(threads)


def _run(args: argparse.Namespace) -> dict:
    card = load_model_card()
    model_cfg, train_cfg = shipped_recipe(card)
    if args.epochs is not None:
        train_cfg.epochs = args.epochs
    if args.subset is not None:
        train_cfg.subset = args.subset
    device = pick_device(args.device)
    epochs = snapshot_epochs(train_cfg.epochs, args.snapshots)

    start = time.perf_counter()
    snapshots, history, model = record_run(
        model_cfg, train_cfg, device, epochs, args.manifold_n, args.elbo_samples, progress=not args.no_progress
    )
    wall = time.perf_counter() - start
    arrays = timeline_arrays(snapshots, history, load_digits("holdout")[1])
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / NPZ_NAME
    write_npz(path, arrays)

    final_sha = state_sha256(model.state_dict())
    is_recipe = args.epochs is None and args.subset is None
    note = {
        "format": FORMAT_VERSION,
        "what": "the shipped model's training run (eq. 1.4.12, assets/model) replayed with snapshots",
        "file": NPZ_NAME,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "snapshot_epochs": epochs,
        "recipe": {"training": asdict(train_cfg), "model_args": model_cfg.to_dict(), "is_shipped_recipe": is_recipe},
        "evaluation": {
            "holdout": f"the 500 holdout digits, fixed binarization (seed {BINARIZATION_SEED})",
            "train": f"the 500-digit train-eval subset, fixed binarization (seed {TRAIN_EVAL_SEED})",
            "elbo_samples_per_digit": args.elbo_samples,
            "elbo_seed": EVAL_SEED,
            "manifold_n": args.manifold_n,
        },
        "arrays": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape), "meaning": ARRAY_NOTES[name]}
            for name, a in arrays.items()
        },
        "final_state_sha256": final_sha,
        "shipped_weights_sha256": card["weights_sha256"],
        "final_equals_shipped_weights": is_recipe and final_sha == shipped_state_sha256(),
        "decoder_weights": "not stored: float16 decoder weights are 1.07 MB per snapshot (27 MB for 25), "
        "over the 10 MB budget; the manifold grids show the decoder instead",
        "command": COMMAND,
        "run": {  # the only part that changes between two runs
            "device": str(device),
            "device_name": device_description(device),
            "threads": torch.get_num_threads(),
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "wall_seconds": round(wall, 1),
        },
    }
    (args.out / NOTE_NAME).write_text(json.dumps(note, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.update_model_card:
        card_path = MODEL_DIR / "model_card.json"
        card["timeline"] = timeline_card_entry(note)
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    matched = "equal to" if note["final_equals_shipped_weights"] else "NOT equal to"
    print(
        f"{len(epochs)} snapshots of {train_cfg.epochs} epochs on {device} in {wall:.0f} s; "
        f"{note['bytes'] / 1e6:.2f} MB; final weights {matched} the shipped ones; wrote {args.out}"
    )
    if note["bytes"] > SIZE_BUDGET_BYTES:
        print(f"warning: {path} is over the {SIZE_BUDGET_BYTES / 1e6:.0f} MB budget")
    return note


if __name__ == "__main__":
    main()
