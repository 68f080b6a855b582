"""Train the small DDPM on the shipped digits; optionally write weights + model card.

    python -m vae_core.train_ddpm --device auto|cpu|cuda|mps --steps N --seed S [--out assets/ddpm]

Nothing is written unless ``--out`` is given. The defaults are the recipe meant for
``assets/ddpm``; ``--quick`` is a seconds-long smoke run (tiny network, few digits, T = 20).
Training uses Ho et al.'s simplified ε-prediction loss (vae_core.ddpm) on the same 4,500
training digits as the VAE, dynamically binarized like the VAE's training (a fresh
Bernoulli(grey/255) draw of every pixel at every step) and mapped to x₀ = 2b − 1. The model card
reports the variational bound on the VAE's fixed holdout bits (vae_core.data.load_holdout_binary),
in nats per digit, beside the VAE's numbers. Deterministic on CPU for a given seed and thread count.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from vae_core.checkpoint import MODEL_DIR as VAE_DIR
from vae_core.checkpoint import CheckpointError, load_model_card
from vae_core.data import DIGITS_PATH, file_sha256, load_digits, load_holdout_binary, to_unit_interval
from vae_core.ddpm import DDPM, DDPMConfig, save_ddpm
from vae_core.device import device_description, pick_device

DEFAULT_THREADS = 1  # as vae_core.train: one thread is faster on the shared 2-core machine, and reproducible
EVAL_SEED = 27_182
COMPARABLE = (
    "Both numbers are lower bounds on the log-probability, in nats, of the same 500 binary holdout digits "
    "(the fixed draws in assets/digits.npz, holdout_binary): the VAE's ELBO with Bernoulli pixels, the DDPM's "
    "variational bound with a two-bin discretized Gaussian decoder L0 (pixel on iff x0 > 0), so both are "
    "distributions over {0,1}^784 and the bounds can be compared directly (higher is better; the true "
    "-log P of each model lies below its -bound). Not comparable: the VAE also has a near-exact -log p(x) "
    "by quadrature over its 2-D latent, while the DDPM has only its bound; the DDPM's denoising terms are "
    "one Monte Carlo draw of x_t per digit and step (the standard error across digits includes that noise); "
    "both models were trained on dynamically binarized train digits with different objectives (ELBO vs "
    "the simplified epsilon loss, which is a reweighted bound), so neither number is what training maximized "
    "for the DDPM."
)


@dataclass
class TrainConfig:
    """Optimization recipe: AdamW, linear warm-up then cosine decay to ``lr_final``, EMA of the weights."""

    steps: int = 25_000
    batch_size: int = 128
    lr: float = 1e-3
    lr_final: float = 1e-5
    warmup_steps: int = 200
    ema_decay: float = 0.999
    seed: int = 0
    subset: int | None = None


def _lr_factor(cfg: TrainConfig):
    floor = cfg.lr_final / cfg.lr

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def training_images(subset: int | None = None) -> np.ndarray:
    """The VAE's 4,500 training digits as Bernoulli means (N, 784) float32; ``subset``: N evenly spaced rows
    (the file is sorted by class, so every class appears)."""
    images, _ = load_digits("train")
    if subset is not None:
        images = images[np.linspace(0, len(images) - 1, min(subset, len(images))).astype(int)]
    return to_unit_interval(images)


def train_model(
    model_cfg: DDPMConfig, cfg: TrainConfig, device: torch.device, progress: bool = True, log_every: int = 100
) -> tuple[DDPM, list[float]]:
    """Train from scratch; returns the EMA model (eval mode) and the mean L_simple over each ``log_every`` steps."""
    torch.manual_seed(cfg.seed)
    model = DDPM(model_cfg).to(device)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    data = torch.as_tensor(training_images(cfg.subset), device=device)  # (N, 784) grey / 255
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(cfg))
    order_gen = torch.Generator().manual_seed(cfg.seed)  # CPU: batch order
    noise_gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)  # binarization, t, ε
    history: list[float] = []
    running, count = 0.0, 0
    order = torch.empty(0, dtype=torch.long)
    bar = tqdm(range(cfg.steps), desc="train ddpm", unit="step", disable=not progress, mininterval=1.0)
    model.train()
    for step in bar:
        if len(order) < cfg.batch_size:  # a fresh permutation whenever the current epoch runs out
            order = torch.cat([order, torch.randperm(len(data), generator=order_gen)])
        rows, order = order[: cfg.batch_size], order[cfg.batch_size :]
        bits = torch.bernoulli(data[rows.to(device)], generator=noise_gen)  # dynamic binarization (B, 784)
        loss = model.loss(2.0 * bits - 1.0, generator=noise_gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
                p_ema.lerp_(p, 1.0 - cfg.ema_decay)
        running += float(loss.detach())
        count += 1
        if count == log_every or step == cfg.steps - 1:
            history.append(running / count)
            bar.set_postfix(loss=f"{history[-1]:.4f}", lr=f"{schedule.get_last_lr()[0]:.1e}")
            running, count = 0.0, 0
    return ema.eval(), history


def evaluate_bound(
    model: DDPM,
    bits: np.ndarray,
    seed: int = EVAL_SEED,
    batch_size: int = 250,
    n_timesteps: int | None = None,
    progress: bool = False,
) -> dict:
    """The variational bound on fixed binary digits (N, 784): mean −ELBO in nats per digit ± s.e. across digits,
    its terms, and bits per dimension. ``n_timesteps``: evaluate that many evenly spaced steps of 2…T per digit
    (an unbiased but noisier estimate of the sum over all steps; None = every step)."""
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    T = model.config.T
    timesteps = None
    if n_timesteps is not None and n_timesteps < T - 1:
        timesteps = torch.as_tensor(np.unique(np.linspace(2, T, n_timesteps).round().astype(int)))
    parts = []
    batches = range(0, len(bits), batch_size)
    for start in tqdm(batches, desc="bound", disable=not progress, leave=False):
        chunk = torch.as_tensor(bits[start : start + batch_size], device=device)
        parts.append(model.bound_terms(chunk, gen, timesteps))
    neg_elbo = torch.cat([-p.elbo for p in parts]).double().cpu()
    recon = torch.cat([p.reconstruction for p in parts]).double().cpu()
    prior = torch.cat([p.prior for p in parts]).double().cpu()
    denoise = torch.cat([p.weight * p.denoising.sum(dim=-1) for p in parts]).double().cpu()
    per_step = torch.cat([p.denoising for p in parts]).double().mean(dim=0).cpu()  # (K,) mean over digits
    steps = parts[0].t.cpu()
    bands = {}
    for lo, hi in ((2, 10), (11, 100), (101, T)):
        inside = (steps >= lo) & (steps <= hi)
        if lo <= T and bool(inside.any()):
            bands[f"t={lo}..{min(hi, T)}"] = float(parts[0].weight * per_step[inside].sum())
    n = len(neg_elbo)
    se = float(neg_elbo.std() / math.sqrt(n)) if n > 1 else 0.0
    mean = float(neg_elbo.mean())
    return {
        "n_images": n,
        "neg_elbo": {"mean": mean, "se": se},
        "bits_per_dim": mean / (math.log(2.0) * model.config.x_dim),
        "reconstruction_L0": -float(recon.mean()),
        "prior_LT": float(prior.mean()),
        "denoising_sum": float(denoise.mean()),
        "denoising_by_steps": bands,
        "timesteps_evaluated": "all" if timesteps is None else len(timesteps),
        "seed": seed,
    }


def nearest_neighbour_check(samples: np.ndarray, train: np.ndarray, holdout: np.ndarray) -> dict:
    """A reproducible look at samples (N, 784) in [0, 1]: Euclidean distance from each to its nearest training
    digit and to its nearest holdout digit (grey/255), beside the same distance from each holdout digit to its
    nearest training digit. Samples much closer to the training digits than holdout digits are (ratio ≪ 1)
    would be copies; samples far from every digit (ratio ≫ 1) are not digit-like. Not a quality score on its
    own: a model that outputs one good digit over and over passes it."""

    def nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sq = (a**2).sum(1)[:, None] - 2.0 * a @ b.T + (b**2).sum(1)[None, :]
        return np.sqrt(np.maximum(sq.min(axis=1), 0.0))

    to_train, to_holdout = nearest(samples, train), nearest(samples, holdout)
    baseline = nearest(holdout, train)
    return {
        "n_samples": len(samples),
        "sample_to_nearest_train": float(to_train.mean()),
        "sample_to_nearest_holdout": float(to_holdout.mean()),
        "holdout_to_nearest_train": float(baseline.mean()),
        "ratio_to_holdout_baseline": float(to_train.mean() / baseline.mean()),
        "metric": "mean Euclidean distance in [0,1]^784 (grey/255; samples are the decoder's P(pixel on))",
    }


def _vae_reference() -> dict | None:
    try:
        card = load_model_card(VAE_DIR)
    except CheckpointError:
        return None
    holdout = card.get("holdout", {})
    return {
        "model_card": "assets/model/model_card.json",
        "neg_elbo": holdout.get("neg_elbo"),
        "neg_log_px_grid": holdout.get("neg_log_px_grid"),
    }


def _load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def build_parser() -> argparse.ArgumentParser:
    t, m = TrainConfig(), DDPMConfig()
    p = argparse.ArgumentParser(prog="python -m vae_core.train_ddpm", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto|cpu|cuda|mps (auto: cuda → mps → cpu)")
    p.add_argument("--steps", type=int, default=None, help=f"optimizer steps (default {t.steps}; 200 with --quick)")
    p.add_argument("--seed", type=int, default=t.seed)
    p.add_argument("--out", type=Path, default=None, help="write weights + model_card.json here (e.g. assets/ddpm)")
    p.add_argument("--quick", action="store_true", help="smoke test: tiny network, 256 digits, T = 20")
    p.add_argument("--subset", type=int, default=None, help="train on N evenly spaced training digits only")
    p.add_argument("--batch-size", type=int, default=t.batch_size)
    p.add_argument("--lr", type=float, default=t.lr)
    p.add_argument("--lr-final", type=float, default=t.lr_final)
    p.add_argument("--warmup-steps", type=int, default=t.warmup_steps)
    p.add_argument("--ema-decay", type=float, default=t.ema_decay)
    p.add_argument("--T", type=int, default=m.T, help="diffusion steps")
    p.add_argument("--schedule", choices=["linear", "cosine"], default=m.schedule)
    p.add_argument("--sigma", choices=["beta", "beta_tilde"], default=m.sigma, help="reverse variance σ_t²")
    p.add_argument("--hidden", type=int, default=m.hidden)
    p.add_argument("--blocks", type=int, default=m.n_blocks)
    p.add_argument(
        "--eval",
        choices=["full", "quick", "none"],
        default="full",
        help="holdout bound: full = 500 digits x every step; quick = 50 digits x 50 steps",
    )
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="CPU threads (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _run(args, argv)
    finally:
        torch.set_num_threads(threads)


def _run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    device = pick_device(args.device)
    if args.quick:
        model_cfg = DDPMConfig(T=20, schedule=args.schedule, sigma=args.sigma, hidden=32, n_blocks=1, time_dim=16)
        subset = args.subset or 256
    else:
        model_cfg = DDPMConfig(
            T=args.T, schedule=args.schedule, sigma=args.sigma, hidden=args.hidden, n_blocks=args.blocks
        )
        subset = args.subset
    steps = args.steps if args.steps is not None else 200 if args.quick else TrainConfig.steps
    train_cfg = TrainConfig(
        steps=steps,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_final=args.lr_final,
        warmup_steps=min(args.warmup_steps, steps),
        ema_decay=args.ema_decay,
        seed=args.seed,
        subset=subset,
    )
    progress = not args.no_progress
    load_before = _load_average()
    start, start_cpu = time.perf_counter(), time.process_time()
    model, history = train_model(model_cfg, train_cfg, device, progress)
    train_seconds, train_cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    card: dict = {
        "model": (
            "DDPM (Ho et al. 2020): epsilon-prediction residual MLP, fixed reverse variance, discrete "
            "two-bin decoder L0 on binary pixels; weights are the EMA of the trained weights"
        ),
        "data": {
            "file": "assets/digits.npz",
            "sha256": file_sha256(DIGITS_PATH),
            "train_size": len(load_digits("train")[0]),
            "trained_on": train_cfg.subset or "all train digits",
            "binarization": (
                "train: dynamic (fresh Bernoulli(grey/255) draw every step), x0 = 2b - 1; eval: "
                "the VAE's fixed holdout bits (holdout_binary in the npz)"
            ),
        },
        "training": {
            **asdict(train_cfg),
            "final_loss": history[-1] if history else None,
            "loss": "L_simple (Ho eq. 14), mean squared error of epsilon per pixel",
        },
        "command": " ".join(["python -m vae_core.train_ddpm", *(sys.argv[1:] if argv is None else argv)]),
        "device": str(device),
        "device_name": device_description(device),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "threads": torch.get_num_threads(),
        "train_wall_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "cpu_load_average": [load_before, _load_average()],
        "units": "nats per digit (784 binary pixels); mean over digits ± standard error across digits",
    }
    if args.eval != "none":
        bits = load_holdout_binary()
        n_timesteps = None
        if args.eval == "quick" or args.quick:
            bits, n_timesteps = bits[::10], 50
        t0 = time.perf_counter()
        card["holdout_bound"] = evaluate_bound(model, bits, n_timesteps=n_timesteps, progress=progress)
        card["eval_wall_seconds"] = round(time.perf_counter() - t0, 1)
        card["vae_on_the_same_digits"] = _vae_reference()
        card["comparable"] = COMPARABLE
        n_samples = 20 if args.eval == "quick" or args.quick else 200
        t0 = time.perf_counter()
        samples, _ = model.sample(n_samples, torch.Generator(device=device).manual_seed(EVAL_SEED))
        card["samples"] = {
            **nearest_neighbour_check(
                samples.double().cpu().numpy(),
                training_images().astype(np.float64),
                to_unit_interval(load_digits("holdout")[0]).astype(np.float64),
            ),
            "seed": EVAL_SEED,
            "sample_wall_seconds": round(time.perf_counter() - t0, 1),
        }
    summary = f"trained {train_cfg.steps} steps on {device} in {train_seconds:.0f} s"
    if "holdout_bound" in card:
        summary += f"; holdout -ELBO {card['holdout_bound']['neg_elbo']['mean']:.2f} nats per digit"
    if args.out is not None:
        card = save_ddpm(model, args.out, card)
        summary += f"; wrote {args.out}"
    print(summary)
    return card


if __name__ == "__main__":
    main()
