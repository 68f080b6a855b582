"""Train the 2-D VAE on the shipped digits and write weights + model card.

    python -m vae_core.train --device auto|cpu|cuda|mps --epochs N --seed S --out DIR

The defaults are the recipe of the shipped model in ``assets/model``; ``--quick`` runs a
seconds-long smoke test (tiny subset, light evaluation). Training maximizes the ELBO of
eq. 1.4.12 (estimated as in eq. 1.4.13) on dynamically binarized digits (a fresh Bernoulli
draw of every pixel at every step); evaluation uses the fixed binarization of the holdout.
Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from vae_core.checkpoint import save_checkpoint
from vae_core.data import (
    BINARIZATION_SEED,
    DIGITS_PATH,
    IMAGE_SIDE,
    N_PIXELS,
    TRAIN_EVAL_SEED,
    file_sha256,
    load_digits,
    load_holdout_binary,
    load_train_eval_binary,
    to_unit_interval,
)
from vae_core.device import device_description, pick_device
from vae_core.evaluate import elbo_terms, log_px_grid, log_px_importance, log_px_refined
from vae_core.model import VAE, VAEConfig

# One CPU thread by default: on the shared 2-core dev machine, 2 threads ran up to 20x slower
# than 1 whenever other jobs were busy (threads wait for each other at every operation), and
# a fixed thread count keeps CPU training bit-for-bit reproducible across machines.
DEFAULT_THREADS = 1
EVAL_SEED = 31_415
OBJECTIVES = ("elbo", "iwae", "piwae")
# on_epoch(epoch, model): called with epoch 0 (the initialization) and after every epoch
EpochCallback = Callable[[int, VAE], None]


@dataclass
class TrainConfig:
    """Optimization recipe.

    ``objective``: "elbo" (eq. 1.4.13 with L = n_samples); "iwae" (importance-weighted bound
    with k = n_samples, Burda et al. 2016); "piwae" (the decoder follows the IWAE bound's
    gradient, the encoder the ELBO's, on the same k samples; Rainforth et al. 2018).
    ``kl_warmup_epochs``: the KL weight rises linearly from 0 to 1 (ELBO only).
    ``shift_pixels``: random ±shift augmentation."""

    epochs: int = 300
    batch_size: int = 100
    lr: float = 1e-3
    lr_final: float = 1e-5  # cosine decay from lr to lr_final over all steps
    weight_decay: float = 0.0
    kl_warmup_epochs: int = 0
    shift_pixels: int = 0
    objective: str = "elbo"
    n_samples: int = 1
    seed: int = 0
    subset: int | None = None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.objective != "elbo" and self.kl_warmup_epochs:
            raise ValueError("KL warm-up is defined for the ELBO objective only")


@dataclass
class EvalConfig:
    """How the model card's numbers are measured (see vae_core.evaluate)."""

    elbo_samples: int = 200
    is_k: list[int] = field(default_factory=lambda: [1, 50, 1000, 5000])
    grid_n: int = 1000
    refine_zoom_n: int = 100
    check_grid_n: int = 2000  # a finer global grid on the first check_images digits
    check_images: int = 100
    max_images: int | None = None


QUICK_EVAL = EvalConfig(
    elbo_samples=10, is_k=[1, 50], grid_n=100, refine_zoom_n=20, check_grid_n=150, check_images=4, max_images=16
)
# for comparing recipes: every image, fewer samples, no quadrature check
FAST_EVAL = EvalConfig(elbo_samples=50, is_k=[1000], grid_n=400, refine_zoom_n=0)


def shift_images(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each (B, 28, 28) image by an independent random (dy, dx) in [−s, s]², zero fill."""
    if max_shift == 0:
        return images
    batch = images.shape[0]
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)  # (B, 28 + 2s, 28 + 2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, batch), generator=generator, device=images.device)
    ramp = torch.arange(IMAGE_SIDE, device=images.device)
    rows = (offsets[0][:, None] + ramp)[:, :, None]  # (B, 28, 1)
    cols = (offsets[1][:, None] + ramp)[:, None, :]  # (B, 1, 28)
    return padded[torch.arange(batch, device=images.device)[:, None, None], rows, cols]


def _lr_factor(cfg: TrainConfig, total_steps: int):
    floor = cfg.lr_final / cfg.lr

    def factor(step: int) -> float:
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))

    return factor


def _observe(on_epoch: EpochCallback | None, epoch: int, model: VAE) -> None:
    """Let ``on_epoch`` look at the model in eval mode, without gradients; training resumes in train
    mode. It uses its own random generators, never the training ones (order_gen, noise_gen), and
    the training loop draws nothing from torch's global generator after the initialization, so an
    observer leaves the training numerically unchanged."""
    if on_epoch is None:
        return
    model.eval()
    with torch.inference_mode():
        on_epoch(epoch, model)
    model.train()


def train_model(
    model_cfg: VAEConfig,
    cfg: TrainConfig,
    device: torch.device,
    progress: bool = True,
    on_epoch: EpochCallback | None = None,
) -> tuple[VAE, list[float]]:
    """Train a VAE from scratch; returns the model (eval mode) and the per-epoch mean training loss
    (−objective, nats per image, on the dynamically binarized batches).

    ``on_epoch(epoch, model)``, if given, is called with epoch 0 before the first step and with
    epochs 1…N after each epoch (model in eval mode, under ``torch.inference_mode``); it must not
    modify the model (``vae_core.timeline`` uses it for snapshots)."""
    torch.manual_seed(cfg.seed)
    model = VAE(model_cfg).to(device)
    images, _ = load_digits("train")
    if cfg.subset is not None:  # evenly spaced rows: the file is sorted by class, so all digits appear
        images = images[np.linspace(0, len(images) - 1, min(cfg.subset, len(images))).astype(int)]
    data = torch.as_tensor(to_unit_interval(images), device=device).view(-1, IMAGE_SIDE, IMAGE_SIDE)
    n_train = data.shape[0]
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    warmup_steps = steps_per_epoch * cfg.kl_warmup_epochs

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    decoder_params = list(model.decoder.parameters())
    encoder_params = [p for name, p in model.named_parameters() if not name.startswith("decoder.")]
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(cfg, total_steps))
    order_gen = torch.Generator().manual_seed(cfg.seed)  # CPU: batch order
    noise_gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)  # binarization, shifts, ε

    history: list[float] = []
    step = 0
    bar = tqdm(range(cfg.epochs), desc="train", unit="epoch", disable=not progress)
    model.train()
    _observe(on_epoch, 0, model)
    for epoch in bar:
        total = 0.0
        for rows in torch.randperm(n_train, generator=order_gen).split(cfg.batch_size):
            means = shift_images(data[rows.to(device)], cfg.shift_pixels, noise_gen).reshape(-1, N_PIXELS)
            x = torch.bernoulli(means, generator=noise_gen)  # dynamic binarization, (B, D_x)
            out = model(x, n_samples=cfg.n_samples, generator=noise_gen)
            optimizer.zero_grad(set_to_none=True)
            if cfg.objective == "piwae":
                loss = -out.iwae_bound().mean()
                grads = torch.autograd.grad(loss, decoder_params, retain_graph=True)
                grads += torch.autograd.grad(-out.elbo.mean(), encoder_params)
                for param, grad in zip(decoder_params + encoder_params, grads, strict=True):
                    param.grad = grad
            else:
                if cfg.objective == "iwae":
                    objective = out.iwae_bound()
                else:
                    beta = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
                    objective = out.recon - beta * out.kl
                loss = -objective.mean()
                loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            total += float(loss.detach()) * len(rows)
        history.append(total / n_train)
        bar.set_postfix(loss=f"{history[-1]:.2f}", lr=f"{schedule.get_last_lr()[0]:.1e}")
        _observe(on_epoch, epoch + 1, model)
    model.eval()
    return model, history


def _mean_se(values: torch.Tensor) -> tuple[float, float]:
    values = values.double().cpu()
    return float(values.mean()), float(values.std() / math.sqrt(len(values))) if len(values) > 1 else 0.0


def evaluate_split(
    model: VAE, x_binary: np.ndarray, cfg: EvalConfig, progress: bool = False, check_grid: bool = True
) -> dict:
    """All the model card's numbers on one set of fixed binary images (nats, mean over images,
    with the standard error of that mean across images). ``check_grid``: also measure the
    grid's quadrature error (zoomed grids per image and a finer global grid)."""
    if cfg.max_images is not None:
        x_binary = x_binary[: cfg.max_images]
    device = next(model.parameters()).device
    x = torch.as_tensor(x_binary, device=device).float()
    gen = torch.Generator(device=device)
    result: dict = {"n_images": len(x)}
    timings: dict = {}

    t0 = time.perf_counter()
    terms = elbo_terms(model, x, cfg.elbo_samples, gen.manual_seed(EVAL_SEED))
    neg_elbo, neg_elbo_se = _mean_se(-terms.elbo)
    result["neg_elbo"] = {"mean": neg_elbo, "se": neg_elbo_se, "mc_samples_per_image": cfg.elbo_samples}
    result["recon"] = _mean_se(terms.recon)[0]
    result["kl"] = _mean_se(terms.kl)[0]
    timings["elbo"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    grid = log_px_grid(model, x, n=cfg.grid_n)
    neg_log_px, neg_log_px_se = _mean_se(-grid.log_px)
    result["neg_log_px_grid"] = {"mean": neg_log_px, "se": neg_log_px_se, "grid": f"{cfg.grid_n}^2 over [-6,6]^2"}
    timings["grid"] = time.perf_counter() - t0

    is_results = {}
    for k in tqdm(cfg.is_k, desc="importance sampling", disable=not progress, leave=False):
        t0 = time.perf_counter()
        log_px = log_px_importance(model, x, k, gen.manual_seed(EVAL_SEED + k))
        mean, se = _mean_se(-log_px)
        is_results[str(k)] = {"mean": mean, "se": se, "gap_to_grid": mean - neg_log_px}
        timings[f"is_{k}"] = time.perf_counter() - t0
    result["neg_log_px_importance"] = is_results

    if not (check_grid and cfg.refine_zoom_n):
        result["eval_seconds"] = {k: round(v, 2) for k, v in timings.items()}
        return result
    t0 = time.perf_counter()
    refined = log_px_refined(model, x, n=cfg.grid_n, n_zoom=cfg.refine_zoom_n)
    diff = (refined.refined - refined.coarse)[refined.zoomed].double()
    step = max(1, len(x) // cfg.check_images)  # every step-th digit: all classes, rows are class-sorted
    check_rows = torch.arange(0, len(x), step, device=device)[: cfg.check_images]
    fine = log_px_grid(model, x[check_rows], n=cfg.check_grid_n).log_px
    diff_fine = (fine - grid.log_px[check_rows]).double()
    result["grid_check"] = {
        "zoom": (
            f"per image, a {cfg.refine_zoom_n}^2 grid over the main posterior mode ± max(8 s, 4 cells), s the "
            "mode's width read off the coarse grid, plus the coarse cells outside that box; images whose "
            "zoom would not be at least 2x finer than the coarse grid are left out"
        ),
        "zoomed_images": int(refined.zoomed.sum()),
        "zoom_minus_grid_mean": float(diff.mean()) if len(diff) else None,
        "zoom_minus_grid_max_abs": float(diff.abs().max()) if len(diff) else None,
        "posterior_sd_median": float(grid.sd.max(dim=-1).values.median()),
        "posterior_sd_min": float(grid.sd.min()),
        "finer_grid": f"{cfg.check_grid_n}^2 over [-6,6]^2 on {len(check_rows)} images (every {step}th)",
        "finer_minus_grid_mean": float(diff_fine.mean()),
        "finer_minus_grid_max_abs": float(diff_fine.abs().max()),
    }
    timings["grid_check"] = time.perf_counter() - t0
    result["eval_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    return result


def _load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _parse_widths(text: str) -> list[int]:
    return [int(w) for w in text.split(",") if w]


def build_parser() -> argparse.ArgumentParser:
    t, m = TrainConfig(), VAEConfig()
    p = argparse.ArgumentParser(prog="python -m vae_core.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto|cpu|cuda|mps (auto: cuda → mps → cpu)")
    p.add_argument("--epochs", type=int, default=t.epochs)
    p.add_argument("--seed", type=int, default=t.seed)
    p.add_argument("--out", type=Path, required=True, help="directory for the weights and model_card.json")
    p.add_argument("--quick", action="store_true", help="smoke test: 256 training digits, light evaluation")
    p.add_argument("--subset", type=int, default=None, help="train on N evenly spaced training digits only")
    p.add_argument("--batch-size", type=int, default=t.batch_size)
    p.add_argument("--lr", type=float, default=t.lr)
    p.add_argument("--lr-final", type=float, default=t.lr_final)
    p.add_argument("--weight-decay", type=float, default=t.weight_decay)
    p.add_argument("--kl-warmup-epochs", type=int, default=t.kl_warmup_epochs)
    p.add_argument("--shift-pixels", type=int, default=t.shift_pixels)
    p.add_argument("--objective", choices=OBJECTIVES, default=t.objective)
    p.add_argument("--n-samples", type=int, default=t.n_samples, help="L (elbo) or k (iwae) per image")
    p.add_argument("--encoder-hidden", type=_parse_widths, default=m.encoder_hidden, help="e.g. 512,256")
    p.add_argument("--decoder-hidden", type=_parse_widths, default=m.decoder_hidden, help="e.g. 256,512")
    p.add_argument("--encoder-activation", default=m.encoder_activation)
    p.add_argument("--decoder-activation", default=m.decoder_activation)
    p.add_argument("--activation", default=None, help="sets both activations")
    p.add_argument("--eval", choices=["full", "fast", "quick", "none"], default="full", help="model card evaluation")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="CPU threads (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    # CPU kernels used here are deterministic for a fixed thread count (checked by
    # tests/test_train.py); torch.use_deterministic_algorithms is not needed and imports dynamo.
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _run(args, argv)
    finally:
        torch.set_num_threads(threads)


def _run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    device = pick_device(args.device)
    subset = 256 if args.quick and args.subset is None else args.subset
    train_cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_final=args.lr_final,
        weight_decay=args.weight_decay,
        kl_warmup_epochs=args.kl_warmup_epochs,
        shift_pixels=args.shift_pixels,
        objective=args.objective,
        n_samples=args.n_samples,
        seed=args.seed,
        subset=subset,
    )
    if args.activation is not None:
        args.encoder_activation = args.decoder_activation = args.activation
    model_cfg = VAEConfig(
        encoder_hidden=args.encoder_hidden,
        decoder_hidden=args.decoder_hidden,
        encoder_activation=args.encoder_activation,
        decoder_activation=args.decoder_activation,
    )
    progress = not args.no_progress

    load_before = _load_average()
    start, start_cpu = time.perf_counter(), time.process_time()
    model, history = train_model(model_cfg, train_cfg, device, progress)
    train_seconds, train_cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu

    eval_cfg = QUICK_EVAL if args.quick or args.eval == "quick" else FAST_EVAL if args.eval == "fast" else EvalConfig()
    card: dict = {
        "model": "2-D latent VAE, Bernoulli pixels (eq. 1.4.12); MLP encoder q_φ(z|x), MLP decoder p_θ(x|z)",
        "data": {
            "file": "assets/digits.npz",
            "sha256": file_sha256(DIGITS_PATH),
            "train_size": len(load_digits("train")[0]),
            "holdout_size": len(load_digits("holdout")[0]),
            "trained_on": train_cfg.subset or "all train digits",
            "binarization": (
                "train: dynamic (fresh Bernoulli(grey/255) draw every step); eval: fixed draws — holdout "
                f"= holdout_binary in the npz (seed {BINARIZATION_SEED}); train numbers on a stratified "
                f"500-digit train subset (vae_core.data.load_train_eval_binary, seed {TRAIN_EVAL_SEED})"
            ),
        },
        "training": {**asdict(train_cfg), "final_train_loss": history[-1] if history else None},
        "command": " ".join(["python -m vae_core.train", *(sys.argv[1:] if argv is None else argv)]),
        "device": str(device),
        "device_name": device_description(device),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "threads": torch.get_num_threads(),
        "train_wall_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),  # summed over threads
        # other jobs share the CPU; wall time depends on them (1-minute load average, before/after)
        "cpu_load_average": [load_before, _load_average()],
        "units": "nats per image; mean over images ± standard error across images",
    }
    if args.eval != "none":
        t0 = time.perf_counter()
        card["holdout"] = evaluate_split(model, load_holdout_binary(), eval_cfg, progress)
        card["train_subset"] = evaluate_split(model, load_train_eval_binary(), eval_cfg, progress, check_grid=False)
        card["eval_wall_seconds"] = round(time.perf_counter() - t0, 1)
    card = save_checkpoint(model, args.out, card)
    summary = f"trained {train_cfg.epochs} epochs on {device} in {train_seconds:.0f} s"
    if "holdout" in card:
        h, tr = card["holdout"], card["train_subset"]
        summary += (
            f"; holdout −ELBO {h['neg_elbo']['mean']:.2f}, −log p(x) grid {h['neg_log_px_grid']['mean']:.2f}"
            f" (train {tr['neg_elbo']['mean']:.2f} / {tr['neg_log_px_grid']['mean']:.2f})"
        )
    print(summary + f"; wrote {args.out}")
    return card


if __name__ == "__main__":
    main()
