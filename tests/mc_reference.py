"""Straightforward reference versions of vae_core.monte_carlo's estimators, for the tests only:
every draw in memory (run_values), the IWAE paths in their own pass (iwae_runs; the page computes
them together with recon and kl in toy_views), and independent repeats of the IWAE estimate. They
use the module's random streams, so they reproduce the page's numbers exactly."""

from __future__ import annotations

import numpy as np

from vae_core.monte_carlo import (
    _REPEATS,
    CHUNK,
    DEFAULT_TOY,
    Iwae,
    Toy,
    _blocks,
    _PrefixLogSumExp,
    _PrefixSums,
    checkpoints,
    draw_values,
    run_rng,
)
from vae_core.toy_model import elbo, log_evidence, log_weights


def run_values(target: str, L: int, runs: int, seed: int, toy: Toy = DEFAULT_TOY) -> np.ndarray:
    """f(Xₗ) for every run: shape (runs, L) — all of it in memory, for tests and small L (the page never calls it)."""
    out = np.empty((runs, L))
    for r in range(runs):
        out[r] = draw_values(target, run_rng(seed, r), (L,), toy)
    return out


def log_mean_exp(log_w: np.ndarray, axis: int = -1) -> np.ndarray:
    """log((1/L) Σ exp(log_w)) along ``axis``, stable for any magnitudes (logsumexp − log L)."""
    top = np.max(log_w, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.sum(np.exp(log_w - top), axis=axis, keepdims=True)
    return np.squeeze(np.log(total) + top, axis=axis) - np.log(log_w.shape[axis])


def iwae_runs(L: int, runs: int, seed: int, toy: Toy = DEFAULT_TOY, points: int = 300) -> Iwae:
    """For zₗ ~ q (the same draws as the recon/kl targets) and log wₗ = log p(x, zₗ) − log q(zₗ):
    the IWAE estimate log((1/n) Σ wₗ) and the ELBO estimate (1/n) Σ log wₗ as n grows (eqs. 1.4.4–1.4.5)."""
    n = checkpoints(L, points)
    iwae, avg_log = np.empty((runs, n.size)), np.empty((runs, n.size))
    for r in range(runs):
        rng, lse, total = run_rng(seed, r), _PrefixLogSumExp(n), _PrefixSums(n)
        for start, stop in _blocks(L):
            z = toy.m + toy.s * rng.standard_normal(stop - start)
            log_w = log_weights(z, toy.x, toy.w, toy.noise, toy.m, toy.s)
            lse.add(start, log_w)
            total.add(start, log_w)
        iwae[r], avg_log[r] = lse.out - np.log(n), total.out / n
    return Iwae(
        n,
        iwae,
        avg_log,
        float(log_evidence(toy.x, toy.w, toy.noise)),
        float(elbo(toy.x, toy.w, toy.noise, toy.m, toy.s)),
    )


def iwae_repeats(L: int, repeats: int, seed: int, toy: Toy = DEFAULT_TOY) -> np.ndarray:
    """The IWAE estimate log((1/L) Σ wₗ) on ``repeats`` independent sets of L draws: shape (repeats,)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_REPEATS,)))
    out = np.empty(repeats)
    for start, stop in _blocks(repeats, max(1, CHUNK // L)):
        z = toy.m + toy.s * rng.standard_normal((stop - start, L))
        out[start:stop] = log_mean_exp(log_weights(z, toy.x, toy.w, toy.noise, toy.m, toy.s), axis=-1)
    return out
