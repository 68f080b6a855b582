"""Live training: a fresh 2-D VAE for one visitor, one epoch at a time, with a β knob.

The objective weights the prior-matching term of eq. 1.4.12 by β (Higgins et al. 2017):

    L_β(x) = E_q[log p_θ(x|z)] − β · KL(q_φ(z|x) ‖ p(z)),

so β = 1 is the ELBO, β = 0 is the reconstruction term alone (an autoencoder with noise: q is free
to leave the prior, the KL grows and the classes drift apart), and a large β makes every nat of
KL expensive (posterior collapse: q(z|x) ≈ p(z) for every x, KL → 0, the decoder draws one blur).

:func:`live_training` is a generator: epoch 0 (the initialization), then one :class:`EpochReport`
per epoch of the 4,500 training digits (dynamic binarization, as ``vae_core.train``), up to
``max_epochs``. It runs on one torch thread (set in the thread that iterates it), draws every
random number from its own seeded generators (never torch's global one), and builds its own
model, so the shared pretrained model is never touched. No streamlit here: the page's queue is
``ui.training_queue``.

    python -m vae_core.live_training --beta 0,1,4 --epochs 30   # the behaviours, as a table
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vae_core.data import N_PIXELS, load_digits, load_holdout_binary, load_train_eval_binary, to_unit_interval
from vae_core.device import device_description, pick_device
from vae_core.timeline_data import MANIFOLD_N, Snapshot

if TYPE_CHECKING:  # torch loads when a training starts, not when the /training page imports this module
    import torch
    from torch import nn

    from vae_core.model import VAE, VAEConfig, VAEOutput

BETA_MIN, BETA_MAX = 0.0, 4.0
LR_MIN, LR_MAX = 1e-4, 1e-2
MAX_EPOCHS = 30  # the classroom cap
DEFAULT_LR = 1e-2  # measured: β = 1 stays healthy and β = 4 switches a latent dimension off (docs/model.md)
DEFAULT_BATCH = 100
EVAL_SAMPLES = 10  # reparameterized draws per digit for the per-epoch ELBO (a 1-thread budget)
THREADS = 1


def beta_objective(out: VAEOutput, beta: float) -> torch.Tensor:
    """(B,) recon − β·KL per image, nats: eq. 1.4.12's ELBO at β = 1, the reconstruction term
    E_q[log p_θ(x|z)] alone at β = 0 (one-sample estimate, eq. 1.4.13, with the KL in closed form)."""
    return out.recon - beta * out.kl


@dataclass(frozen=True)
class LiveConfig:
    """One visitor's training run. ``beta`` ∈ [0, 4] weights KL(q ‖ p(z)); ``lr`` is Adam's (constant)
    learning rate; ``seed`` fixes the initialization, the batch order and every Bernoulli/ε draw;
    ``device``: "auto" (cuda → mps → cpu), "cpu", …; ``subset``: train on N evenly spaced digits (tests)."""

    beta: float = 1.0
    lr: float = DEFAULT_LR
    seed: int = 0
    batch_size: int = DEFAULT_BATCH
    max_epochs: int = MAX_EPOCHS
    manifold_n: int = MANIFOLD_N
    eval_samples: int = EVAL_SAMPLES
    device: str = "auto"
    subset: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and BETA_MIN <= self.beta <= BETA_MAX):
            raise ValueError(f"beta must be in [{BETA_MIN}, {BETA_MAX}], got {self.beta!r}")
        if not (math.isfinite(self.lr) and LR_MIN <= self.lr <= LR_MAX):
            raise ValueError(f"lr must be in [{LR_MIN}, {LR_MAX}], got {self.lr!r}")
        if self.seed < 0 or self.batch_size < 1 or self.max_epochs < 0 or self.manifold_n < 1:
            raise ValueError("seed and max_epochs must be ≥ 0, batch_size and manifold_n ≥ 1")


@dataclass(frozen=True)
class EpochReport:
    """What the page shows after one epoch (epoch 0: the initialization, before any step).

    ``snapshot``: the encoder on the holdout (μ, σ (500, 2), KL per latent dimension (2,)), the
    manifold (uint8 (n, n, 784)), and eq. 1.4.12's terms {"elbo", "recon", "kl"} on the holdout and
    on the train-eval subset (nats per digit, ``eval_samples`` draws each; β does not enter them).
    ``objective``: the epoch's mean training objective recon − β·KL on its binarized batches (nan
    at epoch 0); ``seconds``: wall time of the epoch's training steps (``cpu_seconds``: the
    worker thread's CPU time for them, which other jobs on the machine do not inflate),
    ``eval_seconds``: wall time of this report's measurements; ``device``, ``threads``: where it ran.
    """

    epoch: int
    beta: float
    snapshot: Snapshot
    objective: float
    seconds: float
    cpu_seconds: float
    eval_seconds: float
    device: str
    threads: int


def init_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default ``nn.Linear`` initialization (weights Kaiming-uniform with a = √5, biases
    U(±1/√fan_in)), drawn from ``generator`` instead of torch's process-wide generator."""
    import torch
    from torch import nn

    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def fresh_model(config: VAEConfig, seed: int, device: torch.device) -> VAE:
    """A new VAE on ``device`` initialized from ``seed`` alone (built on the meta device first, so
    no draw is taken from, and no seed is set on, the global generator other sessions share)."""
    import torch

    from vae_core.model import VAE

    with torch.device("meta"):
        model = VAE(config)
    model = model.to_empty(device="cpu")
    init_parameters(model, torch.Generator(device="cpu").manual_seed(seed))  # CPU draws: same on every device
    return model.to(device)


def _training_images(subset: int | None, device: torch.device) -> torch.Tensor:
    import torch

    images, _ = load_digits("train")
    if subset is not None:  # evenly spaced rows: the file is sorted by class
        images = images[np.linspace(0, len(images) - 1, min(subset, len(images))).astype(int)]
    return torch.as_tensor(to_unit_interval(images), device=device)  # (N, 784) grey levels in [0, 1]


def live_training(cfg: LiveConfig, model_config: VAEConfig | None = None) -> Iterator[EpochReport]:
    """Train a fresh VAE with objective recon − β·KL; yield epoch 0, then one report per epoch up to
    ``cfg.max_epochs``. Iterate it in the worker thread: the body sets that thread to one torch
    thread (restored when the generator finishes or is closed)."""
    import torch

    from vae_core.model import VAEConfig
    from vae_core.timeline import take_snapshot

    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)  # OpenMP: per calling thread; the server's other threads keep theirs
    try:
        device = pick_device(cfg.device)
        where = device_description(device)
        model = fresh_model(model_config or VAEConfig(), cfg.seed, device)
        data = _training_images(cfg.subset, device)
        holdout, train_eval = load_holdout_binary(), load_train_eval_binary()
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        order_gen = torch.Generator().manual_seed(cfg.seed)
        noise_gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)

        def report(epoch: int, objective: float, seconds: float, cpu_seconds: float) -> EpochReport:
            start = time.perf_counter()
            model.eval()
            with torch.inference_mode():
                snap = take_snapshot(model, epoch, holdout, train_eval, cfg.manifold_n, cfg.eval_samples)
            model.train()
            return EpochReport(
                epoch,
                cfg.beta,
                snap,
                objective,
                seconds,
                cpu_seconds,
                time.perf_counter() - start,
                where,
                torch.get_num_threads(),
            )

        yield report(0, math.nan, 0.0, 0.0)
        for epoch in range(1, cfg.max_epochs + 1):
            start, start_cpu, total = time.perf_counter(), time.thread_time(), 0.0
            for rows in torch.randperm(len(data), generator=order_gen).split(cfg.batch_size):
                x = torch.bernoulli(data[rows.to(device)], generator=noise_gen)  # dynamic binarization
                objective = beta_objective(model(x, generator=noise_gen), cfg.beta).mean()
                optimizer.zero_grad(set_to_none=True)
                (-objective).backward()
                optimizer.step()
                total += float(objective.detach()) * len(rows)
            yield report(epoch, total / len(data), time.perf_counter() - start, time.thread_time() - start_cpu)
    finally:
        torch.set_num_threads(threads)


# --- the three behaviours, as numbers --------------------------------------------------------------
def class_separation(mu: np.ndarray, labels: np.ndarray) -> float:
    """Between-class over within-class scatter of the latent means, tr S_B / tr S_W: large when the
    classes form separate clusters with gaps between them, ≈ 0 when they lie on top of each other."""
    mu = np.asarray(mu, dtype=np.float64)
    centre = mu.mean(axis=0)
    between = within = 0.0
    for label in np.unique(labels):
        group = mu[labels == label]
        between += len(group) * float(np.sum((group.mean(axis=0) - centre) ** 2))
        within += float(np.sum((group - group.mean(axis=0)) ** 2))
    return between / max(within, 1e-300)


def manifold_variation(manifold: np.ndarray) -> float:
    """Mean over pixels of the standard deviation across the manifold's cells (grey levels / 255):
    ≈ 0 when every latent point decodes to the same image (posterior collapse)."""
    cells = np.asarray(manifold, dtype=np.float64).reshape(-1, N_PIXELS) / 255.0
    return float(cells.std(axis=0).mean())


def behaviour(report: EpochReport, labels: np.ndarray) -> dict[str, float]:
    """The numbers behind the page's "what to look for" at one epoch (nats where a KL or ELBO)."""
    snap = report.snapshot
    return {
        "epoch": report.epoch,
        "holdout_elbo": snap.holdout["elbo"],
        "holdout_recon": snap.holdout["recon"],
        "holdout_kl": snap.holdout["kl"],
        "kl_dim_1": float(snap.kl_per_dim[0]),
        "kl_dim_2": float(snap.kl_per_dim[1]),
        "separation": class_separation(snap.mu, labels),
        "manifold_variation": manifold_variation(snap.manifold),
        "sigma_median": float(np.median(snap.sigma)),
        "mu_rms": float(np.sqrt(np.mean(np.square(snap.mu)))),
        "seconds": report.seconds,
        "cpu_seconds": report.cpu_seconds,
        "eval_seconds": report.eval_seconds,
    }


def _parse_floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m vae_core.live_training", description=__doc__.split("\n\n")[0])
    p.add_argument("--beta", type=_parse_floats, default=[0.0, 1.0, 4.0], help="comma-separated, e.g. 0,1,4")
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    p.add_argument("--epochs", type=int, default=MAX_EPOCHS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    labels = load_digits("holdout")[1]
    rows = []
    for beta in args.beta:
        cfg = LiveConfig(
            beta=beta,
            lr=args.lr,
            seed=args.seed,
            batch_size=args.batch_size,
            max_epochs=args.epochs,
            device=args.device,
        )
        for rep in live_training(cfg):
            row = {"beta": beta, **behaviour(rep, labels), "device": rep.device, "threads": rep.threads}
            rows.append(row)
            if rep.epoch in (0, 1, 2, 5, 10, 20, 30) or rep.epoch == args.epochs:
                print(
                    f"β={beta:g} epoch {row['epoch']:>3}: ELBO {row['holdout_elbo']:8.2f}  recon "
                    f"{row['holdout_recon']:8.2f}  KL {row['holdout_kl']:7.2f} ({row['kl_dim_1']:.2f}, "
                    f"{row['kl_dim_2']:.2f})  separation {row['separation']:6.2f}  manifold var "
                    f"{row['manifold_variation']:.3f}  σ̃ {row['sigma_median']:.3f}  "
                    f"{row['seconds']:.2f}+{row['eval_seconds']:.2f} s (CPU {row['cpu_seconds']:.2f} s) "
                    f"[{row['device']}, {row['threads']} thread]",
                    flush=True,
                )
        done = [r for r in rows if r["beta"] == beta and r["epoch"] > 0]
        if done:
            print(
                f"β={beta:g}: median {np.median([r['seconds'] for r in done]):.2f} s wall, "
                f"{np.median([r['cpu_seconds'] for r in done]):.2f} s CPU per epoch (training steps); "
                f"{np.median([r['eval_seconds'] for r in done]):.2f} s per report",
                flush=True,
            )
    return rows


__all__ = [
    "BETA_MAX",
    "BETA_MIN",
    "DEFAULT_BATCH",
    "DEFAULT_LR",
    "MAX_EPOCHS",
    "EpochReport",
    "LiveConfig",
    "behaviour",
    "beta_objective",
    "class_separation",
    "fresh_model",
    "init_parameters",
    "live_training",
    "manifold_variation",
]

if __name__ == "__main__":
    main()
