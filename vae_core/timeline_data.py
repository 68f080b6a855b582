"""The shipped training timeline as data (no torch): its files, its snapshots' shape, and the numbers
the /training page derives from them. vae_core.timeline records the run (with torch) and re-exports
these names; the page reads the timeline through this module, so serving it never imports torch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae_core.data import ASSETS_DIR, file_sha256

TIMELINE_DIR = ASSETS_DIR / "training"
NPZ_NAME = "timeline.npz"
NOTE_NAME = "timeline.json"
MANIFOLD_N = 15
COMMAND = "python -m vae_core.timeline --out assets/training --update-model-card"


@dataclass(frozen=True)
class Snapshot:
    """What the page shows of the model at one epoch (numpy, nats per digit where a number).

    ``mu``, ``sigma`` (500, 2) q_φ(z|x) on the holdout; ``kl_per_dim`` (2,) holdout mean of
    ½(μⱼ² + σⱼ² − 1 − log σⱼ²); ``manifold`` uint8 (n, n, 784) decoded pixel means × 255 on
    :func:`vae_core.latent.manifold_latents`; ``holdout`` / ``train``: {"elbo", "recon", "kl"}
    means of eq. 1.4.12's terms (ELBO = recon − KL, 200 samples per digit).
    """

    epoch: int
    mu: np.ndarray
    sigma: np.ndarray
    kl_per_dim: np.ndarray
    manifold: np.ndarray
    holdout: dict[str, float]
    train: dict[str, float]


def kl_per_dimension(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """(D_z,) mean over digits of KL(q ‖ p(z)) split by latent dimension (the closed form's terms)."""
    var = np.asarray(sigma, dtype=np.float64) ** 2
    return 0.5 * np.mean(np.asarray(mu, dtype=np.float64) ** 2 + var - 1.0 - np.log(var), axis=0)


def load_timeline(directory: Path | str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays of ``timeline.npz``, the note ``timeline.json``) from ``directory`` (default
    ``assets/training``). Raises ``ValueError`` if the npz fails the sha256 recorded in the note."""
    directory = Path(directory) if directory is not None else TIMELINE_DIR
    note = json.loads((directory / NOTE_NAME).read_text(encoding="utf-8"))
    path = directory / note["file"]
    if file_sha256(path) != note["sha256"]:
        raise ValueError(f"{path} fails the sha256 in {directory / NOTE_NAME}; rebuild it with `{COMMAND}`")
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}, note


# The model card's ELBO estimate (vae_core.train: EvalConfig().elbo_samples, EVAL_SEED), here without torch
# for the served numpy model; tests/test_np_vae.py holds them equal.
ELBO_SAMPLES, EVAL_SEED = 200, 31_415
