"""Monte Carlo estimates as the sample count L grows (eq. 1.4.13 and the chapter's Monte Carlo box).

The box after eq. 1.4.13 estimates E_p[f(X)] = ∫ f(x) p(x) dx (eq. 1.4.6) in three steps:

    1. sample   X₁, …, X_L ~ p
    2. evaluate f(X₁), …, f(X_L)
    3. average  Q_L = (1/L) Σₗ f(Xₗ)

Q_L is unbiased, its standard error is σ/√L with σ² = Var f(X) (so the error falls like
L^(−½)), and by the central limit theorem Q_L ≈ N(E f, σ²/L) for large L. Eq. 1.4.13 is this
recipe applied to the VAE's reconstruction term E_q[log p(x|z)].

The *log* of a Monte Carlo average is not unbiased: by Jensen (eq. 1.4.5)
E[log (1/L) Σ wₗ] ≤ log E[w]. With importance weights wₗ = p(x, zₗ)/q(zₗ), zₗ ~ q, the left side
is the IWAE bound (Burda, Grosse & Salakhutdinov, 2016): the ELBO at L = 1, rising monotonically
to log p(x) as L → ∞ with a bias ≈ χ²(p(z|x) ‖ q) / (2L).

Targets (the URL names of the Monte Carlo page):

    recon   E_q[log p(x|z)]            z ~ q = N(m, s²), toy model p(x|z) = N(w z, noise²)
    kl      KL(q ‖ p(z)) = E_q[log q(z)/p(z)]          z ~ q, prior p(z) = N(0, 1)
    pi      π = E[4·1{U₁² + U₂² ≤ 1}]                  U ~ Uniform[0, 1]²
    square  E[X²] = 1                                  X ~ N(0, 1)
    exp     E[e^X] = √e                                X ~ N(0, 1)
    tail    P(X > 2) = E[1{X > 2}]                     X ~ N(0, 1)

Every target has an exact mean and variance, so errors and standard errors can be checked
against the truth. Randomness: run r of seed s draws from ``default_rng(SeedSequence(s,
spawn_key=(0, r)))`` — its own stream, so raising L extends the same path and raising the
number of runs keeps the earlier runs. The toy targets (recon, kl) and the IWAE weights use the
same draws zₗ = m + s·εₗ. Values in nats (for the toy-model targets); everything vectorized.

Memory: a run's L draws are generated and reduced in blocks of at most ``CHUNK`` values (the
same random stream as one big draw), so no call holds a (runs, L) array or even one run's
100,000 draws at once: every temporary stays ≤ 256 KB. Only the checkpoints are kept. (Large,
short-lived temporaries in many server threads fragment the allocator's heaps: measured, the
Monte Carlo page's RSS grew ~35 MiB/min under a classroom load before this.)
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import integrate, special

from vae_core.gaussian import normal_logpdf
from vae_core.toy_model import Toy, elbo, log_evidence, posterior, prior_kl, reconstruction_term

TARGETS = ("recon", "kl", "pi", "square", "exp", "tail")
TOY_TARGETS = ("recon", "kl")  # the targets that depend on the toy model's parameters
TAIL_AT = 2.0
_RUNS, _REPEATS = 0, 1  # stream purposes in the SeedSequence spawn key
CHUNK = 1 << 15  # values per block: each float64 temporary ≤ 256 KB


DEFAULT_TOY = Toy()


class Convergence(NamedTuple):
    """Running estimates of one target at log-spaced checkpoints.

    n: (K,) sample counts 1 ≤ n₁ < … < n_K = L; mean, se: (runs, K) running Q_n and its estimated
    standard error ŝ_n/√n (NaN at n = 1, where one sample says nothing about the spread);
    exact, sd: E f(X) and σ = √Var f(X), both exact.
    """

    n: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    exact: float
    sd: float


class Iwae(NamedTuple):
    """Running log-mean-exp and mean of the log weights, per run, at checkpoints n (K,).

    iwae: (runs, K) log((1/n) Σ wₗ); avg_log: (runs, K) (1/n) Σ log wₗ; log_px, elbo exact (nats).
    """

    n: np.ndarray
    iwae: np.ndarray
    avg_log: np.ndarray
    log_px: float
    elbo: float


def exact_moments(target: str, toy: Toy = DEFAULT_TOY) -> tuple[float, float]:
    """(E f(X), Var f(X)) in closed form.

    recon: with a = x − w m, b = w s, f = c − (a − bε)²/(2 noise²), so Var f = (b⁴ + 2a²b²)/(2 noise⁴).
    kl:    f = −log s + m²/2 + m s ε + (s² − 1) ε²/2, so Var f = m² s² + (s² − 1)²/2.
    """
    if target == "recon":
        a, b = toy.x - toy.w * toy.m, toy.w * toy.s
        var = (b**4 + 2.0 * a**2 * b**2) / (2.0 * toy.noise**4)
        return float(reconstruction_term(toy.x, toy.w, toy.noise, toy.m, toy.s)), float(var)
    if target == "kl":
        var = toy.m**2 * toy.s**2 + 0.5 * (toy.s**2 - 1.0) ** 2
        return float(prior_kl(toy.m, toy.s)), float(var)
    if target == "pi":
        return float(np.pi), float(np.pi * (4.0 - np.pi))  # 16·p(1 − p) with p = π/4
    if target == "square":
        return 1.0, 2.0
    if target == "exp":
        return float(np.exp(0.5)), float(np.e**2 - np.e)
    if target == "tail":
        p = float(special.ndtr(-TAIL_AT))
        return p, p * (1.0 - p)
    raise ValueError(f"unknown target {target!r}")


def lattice_step(target: str) -> float | None:
    """Spacing of f's values when f only takes multiples of it (indicators); None for continuous f."""
    return {"pi": 4.0, "tail": 1.0}.get(target)


def sample(target: str, rng: np.random.Generator, shape: tuple[int, ...], toy: Toy = DEFAULT_TOY) -> np.ndarray:
    """Step 1 of the Monte Carlo box: draws X ~ p of the given shape (π's draws carry a last axis (U₁, U₂))."""
    if target == "pi":
        return rng.random((*shape, 2))  # U ~ Uniform[0, 1]²
    eps = rng.standard_normal(shape)
    if target in TOY_TARGETS:
        return toy.m + toy.s * eps  # z ~ q = N(m, s²)
    if target in ("square", "exp", "tail"):
        return eps  # X ~ N(0, 1)
    raise ValueError(f"unknown target {target!r}")


def evaluate(target: str, draws: np.ndarray, toy: Toy = DEFAULT_TOY) -> np.ndarray:
    """Step 2 of the Monte Carlo box: f at each draw (for the toy targets, in nats)."""
    if target == "recon":
        return normal_logpdf(toy.x, toy.w * draws, toy.noise)  # log p(x|z)
    if target == "kl":
        return normal_logpdf(draws, toy.m, toy.s) - normal_logpdf(draws, 0.0, 1.0)  # log q(z) − log p(z)
    if target == "pi":
        return 4.0 * (np.sum(draws * draws, axis=-1) <= 1.0)
    if target == "square":
        return draws * draws
    if target == "exp":
        return np.exp(draws)
    if target == "tail":
        return (draws > TAIL_AT).astype(float)
    raise ValueError(f"unknown target {target!r}")


def draw_values(target: str, rng: np.random.Generator, shape: tuple[int, ...], toy: Toy = DEFAULT_TOY) -> np.ndarray:
    """Steps 1 and 2 together: f(X) at fresh draws X ~ p, with the given shape."""
    return evaluate(target, sample(target, rng, shape, toy), toy)


def run_rng(seed: int, run: int) -> np.random.Generator:
    """The random stream of one run: independent of L and of how many other runs there are."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_RUNS, run)))


def first_draws(target: str, seed: int, count: int, toy: Toy = DEFAULT_TOY) -> tuple[np.ndarray, np.ndarray]:
    """Run 1's first ``count`` draws and their f values — the three steps, shown on a few numbers."""
    draws = sample(target, run_rng(seed, 0), (count,), toy)
    return draws, evaluate(target, draws, toy)


def checkpoints(L: int, points: int = 300) -> np.ndarray:
    """About ``points`` log-spaced sample counts from 1 to L (all of them when L is small), ending at L."""
    if L <= points:
        return np.arange(1, L + 1)
    return np.unique(np.geomspace(1, L, points).round().astype(np.int64))


def _cumulative_sums(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Σ_{l ≤ n_k} values[..., l] for each checkpoint: (runs, L) → (runs, K), without an (runs, L) cumsum."""
    starts = np.concatenate(([0], n[:-1]))
    return np.add.reduceat(values, starts, axis=-1).cumsum(axis=-1)


def _blocks(L: int, chunk: int = CHUNK):
    """(start, stop) of consecutive blocks covering 0 … L − 1, each at most ``chunk`` long."""
    for start in range(0, L, chunk):
        yield start, min(start + chunk, L)


class _PrefixSums:
    """Σ_{l ≤ n_k} x_l at the checkpoints n, fed one block of x at a time (in order).

    Within a block the sums between checkpoints are taken as in :func:`_cumulative_sums`; a
    running total carries across blocks, so the result does not depend on the block size beyond
    round-off (and is bit-identical to the one-block computation when L ≤ the block size).
    """

    def __init__(self, n: np.ndarray):
        self.n, self.out, self.total, self.k = n, np.empty(n.size), 0.0, 0

    def add(self, start: int, x: np.ndarray) -> None:
        stop = np.searchsorted(self.n, start + x.size, side="right")
        local = self.n[self.k : stop] - start  # checkpoints inside this block, block-relative
        head = 0
        if local.size:
            segments = np.add.reduceat(x[: local[-1]], np.concatenate(([0], local[:-1])))
            self.out[self.k : stop] = np.cumsum(np.concatenate(([self.total], segments)))[1:]
            self.total, head, self.k = float(self.out[stop - 1]), int(local[-1]), int(stop)
        if head < x.size:
            self.total += float(x[head:].sum())


class _PrefixLogSumExp:
    """log Σ_{l ≤ n_k} exp(x_l) at the checkpoints n, fed block by block (see :func:`running_log_mean_exp`)."""

    def __init__(self, n: np.ndarray):
        self.n, self.out, self.total, self.k = n, np.empty(n.size), -np.inf, 0

    def add(self, start: int, x: np.ndarray) -> None:
        stop = np.searchsorted(self.n, start + x.size, side="right")
        local = self.n[self.k : stop] - start
        head = 0
        if local.size:
            part, starts = x[: local[-1]], np.concatenate(([0], local[:-1]))
            top = np.maximum.reduceat(part, starts)  # each segment summed around its own maximum
            lengths = np.diff(np.append(starts, part.size))
            seg = np.log(np.add.reduceat(np.exp(part - np.repeat(top, lengths)), starts)) + top
            self.out[self.k : stop] = np.logaddexp.accumulate(np.concatenate(([self.total], seg)))[1:]
            self.total, head, self.k = float(self.out[stop - 1]), int(local[-1]), int(stop)
        if head < x.size:
            rest = x[head:]
            top = float(rest.max())
            self.total = float(np.logaddexp(self.total, np.log(np.exp(rest - top).sum()) + top))


class _RunningMeanSe:
    """:func:`running_mean_se` for one run, fed block by block (sums around the run's first value)."""

    def __init__(self, n: np.ndarray):
        self.n, self.shift = n, None
        self.s1, self.s2 = _PrefixSums(n), _PrefixSums(n)

    def add(self, start: int, values: np.ndarray) -> None:
        if self.shift is None:
            self.shift = float(values[0])
        d = values - self.shift
        self.s1.add(start, d)
        self.s2.add(start, d * d)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        return _mean_se(self.s1.out, self.s2.out, self.n, self.shift)


def _mean_se(s1: np.ndarray, s2: np.ndarray, n: np.ndarray, shift) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error from the shifted prefix sums Σ d and Σ d² (d = f − shift)."""
    mean = s1 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(s2 - s1 * mean, 0.0) / (n - 1)
        se = np.where(n > 1, np.sqrt(var / n), np.nan)
    return mean + shift, se


def running_mean_se(values: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running Q_n = (1/n) Σ_{l≤n} f_l and its standard error ŝ_n/√n at checkpoints n.

    values: (..., L); returns two (..., K) arrays. ŝ uses ddof = 1 (NaN at n = 1). Sums are taken
    around each run's first value, so the variance does not suffer cancellation when |E f| ≫ σ.
    """
    shift = values[..., :1]
    d = values - shift
    return _mean_se(_cumulative_sums(d, n), _cumulative_sums(d * d, n), n, shift)


def convergence(
    target: str, L: int, runs: int, seed: int, toy: Toy = DEFAULT_TOY, points: int = 300, chunk: int = CHUNK
) -> Convergence:
    """Running estimates of ``target`` for ``runs`` independent runs of L samples (eq. 1.4.13, MC box).

    :func:`running_mean_se` of each run's draws, computed one run and one block of ``chunk`` draws
    at a time: memory O(chunk + runs·checkpoints), never O(runs·L).
    """
    n = checkpoints(L, points)
    mean, se = np.empty((runs, n.size)), np.empty((runs, n.size))
    for r in range(runs):
        rng, acc = run_rng(seed, r), _RunningMeanSe(n)
        for start, stop in _blocks(L, chunk):
            acc.add(start, draw_values(target, rng, (stop - start,), toy))
        mean[r], se[r] = acc.result()
    exact, var = exact_moments(target, toy)
    return Convergence(n, mean, se, exact, float(np.sqrt(var)))


class ToyViews(NamedTuple):
    """Everything the toy model shows, from one set of draws zₗ ~ q per run (see :func:`toy_views`)."""

    recon: Convergence
    kl: Convergence
    iwae: Iwae


def toy_views(L: int, runs: int, seed: int, toy: Toy = DEFAULT_TOY, points: int = 300, chunk: int = CHUNK) -> ToyViews:
    """The recon and kl targets and the IWAE view in one pass over the same draws.

    Equal to ``convergence("recon", …)``, ``convergence("kl", …)`` and :func:`iwae_runs` with the same
    arguments, but each zₗ is drawn and evaluated once: log wₗ = log p(x|zₗ) − (log q(zₗ) − log p(zₗ)),
    i.e. the recon value minus the kl value (eq. 1.4.12, sample by sample). Blocks of ``chunk`` draws.
    """
    n = checkpoints(L, points)
    out = {key: np.empty((runs, n.size)) for key in ("recon_mean", "recon_se", "kl_mean", "kl_se", "iwae", "avg")}
    for r in range(runs):
        rng = run_rng(seed, r)
        recon_acc, kl_acc = _RunningMeanSe(n), _RunningMeanSe(n)
        lse, total = _PrefixLogSumExp(n), _PrefixSums(n)
        for start, stop in _blocks(L, chunk):
            z = sample("recon", rng, (stop - start,), toy)
            recon, kl = evaluate("recon", z, toy), evaluate("kl", z, toy)
            recon_acc.add(start, recon)
            kl_acc.add(start, kl)
            log_w = recon - kl
            lse.add(start, log_w)
            total.add(start, log_w)
        out["recon_mean"][r], out["recon_se"][r] = recon_acc.result()
        out["kl_mean"][r], out["kl_se"][r] = kl_acc.result()
        out["iwae"][r], out["avg"][r] = lse.out - np.log(n), total.out / n
    convs = []
    for target in TOY_TARGETS:
        exact, var = exact_moments(target, toy)
        convs.append(Convergence(n, out[f"{target}_mean"], out[f"{target}_se"], exact, float(np.sqrt(var))))
    iwae = Iwae(
        n,
        out["iwae"],
        out["avg"],
        float(log_evidence(toy.x, toy.w, toy.noise)),
        float(elbo(toy.x, toy.w, toy.noise, toy.m, toy.s)),
    )
    return ToyViews(*convs, iwae)


def pooled_estimate(conv: Convergence) -> tuple[float, float]:
    """All runs' L samples pooled into one estimate: (mean, standard error), from each run's final Q_L and ŝ.

    The pooled variance adds the within-run spreads and the spread between the runs' means.
    """
    runs, L = conv.mean.shape[0], int(conv.n[-1])
    means = conv.mean[:, -1]
    total = runs * L
    if total < 2:
        return float(means.mean()), float("nan")
    within = np.nan_to_num(conv.se[:, -1] ** 2 * L * (L - 1))  # Σ_l (f_l − Q_r)² for each run
    pooled = float(means.mean())
    ss = within.sum() + L * np.sum((means - pooled) ** 2)
    return pooled, float(np.sqrt(ss / (total - 1) / total))


def estimator_repeats(
    target: str, L: int, repeats: int, seed: int, toy: Toy = DEFAULT_TOY, chunk: int = CHUNK
) -> np.ndarray:
    """Q_L computed ``repeats`` times on fresh samples: shape (repeats,) — the estimator's distribution.

    Drawn in (rows, L) blocks of about ``chunk`` values (the same stream as one big draw).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_REPEATS,)))
    out = np.empty(repeats)
    for start, stop in _blocks(repeats, max(1, chunk // L)):
        out[start:stop] = draw_values(target, rng, (stop - start, L), toy).mean(axis=1)
    return out


def histogram(
    values: np.ndarray, bins: int = 40, lattice: float | None = None, max_bins: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """(edges, density) of ``values``, integrating to 1 over all of them.

    The bin width is set by the central 99% of the values, so one far outlier (a heavy right tail)
    does not make the bulk a single bar; the edges still reach every value (at most ``max_bins``).
    On a lattice of spacing ``lattice`` the bins are centred on its points and a whole number of
    spacings wide, so no bin is empty merely by falling between them.
    """
    lo, hi = float(values.min()), float(values.max())
    q_lo, q_hi = (float(v) for v in np.quantile(values, [0.005, 0.995]))
    width = (q_hi - q_lo) / bins if q_hi > q_lo else (hi - lo) / bins if hi > lo else 1.0
    width = max(width, (hi - lo) / max_bins)
    if lattice:
        width = lattice * max(1, np.ceil(width / lattice - 1e-9))
        lo, hi = lo - lattice / 2, hi + lattice / 2
    count = max(1, int(np.ceil((hi - lo) / width - 1e-9)))
    edges = lo + width * np.arange(count + 1)
    density, edges = np.histogram(values, edges, density=True)
    return edges, density


def loglog_slope(n: np.ndarray, err: np.ndarray, n_min: int = 10) -> float:
    """Least-squares slope of log err against log n over n ≥ n_min (≈ −½ for a Monte Carlo error)."""
    keep = (n >= n_min) & (err > 0) & np.isfinite(err)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[keep]), np.log(err[keep]), 1)[0])


def running_log_mean_exp(log_w: np.ndarray, n: np.ndarray) -> np.ndarray:
    """log((1/n) Σ_{l≤n} w_l) at checkpoints n: (runs, L) → (runs, K).

    Each segment between checkpoints is summed around its own maximum and the segments are combined
    with logaddexp, so a huge later weight cannot underflow the early ones (no log 0).
    """
    starts = np.concatenate(([0], n[:-1]))
    seg_max = np.maximum.reduceat(log_w, starts, axis=-1)  # (runs, K)
    lengths = np.diff(np.concatenate((starts, [log_w.shape[-1]])))
    seg_sum = np.add.reduceat(np.exp(log_w - np.repeat(seg_max, lengths, axis=-1)), starts, axis=-1)
    return np.logaddexp.accumulate(np.log(seg_sum) + seg_max, axis=-1) - np.log(n)


def chi_square(toy: Toy = DEFAULT_TOY) -> float:
    """χ²(p(z|x) ‖ q) = E_q[(p(z|x)/q(z))²] − 1 = Var_q[w]/p(x)², the relative variance of the weights.

    For Gaussians ∫ N(z; μ, σ²)² / N(z; m, s²) dz is finite only when A = 2/σ² − 1/s² > 0 (q wider
    than σ/√2); then its log is ½ log(2π) − ½ log A + B²/(2A) + C with B = 2μ/σ² − m/s² and
    C = −μ²/σ² + m²/(2s²) − ½ log(2π) − 2 log σ + log s. Returns inf when the variance is infinite.
    The IWAE bias is log p(x) − E[IWAE_L] ≈ χ²/(2L) for large L (delta method).
    """
    mu, sd = (float(v) for v in posterior(toy.x, toy.w, toy.noise))
    m, s = toy.m, toy.s
    a = 2.0 / sd**2 - 1.0 / s**2
    if a <= 0:
        return float("inf")
    b = 2.0 * mu / sd**2 - m / s**2
    c = -(mu**2) / sd**2 + m**2 / (2.0 * s**2) - 2.0 * np.log(sd) + np.log(s)
    log_second_moment = -0.5 * np.log(a) + b**2 / (2.0 * a) + c
    with np.errstate(over="ignore"):
        return float(np.expm1(log_second_moment))


def quadrature_moments(target: str, toy: Toy = DEFAULT_TOY) -> tuple[float, float]:
    """(E f, Var f) by scipy quadrature of ∫ f p and ∫ (f − E f)² p — an oracle independent of
    :func:`exact_moments` (the variance is centred, so a large |E f| does not cancel)."""
    if target == "pi":
        # E f = 4·P(U₁² + U₂² ≤ 1) = ∫₀¹ 4√(1 − u²) du; f² = 4f, so Var f = 4 E f − (E f)².
        mean = integrate.quad(lambda u: 4.0 * np.sqrt(1.0 - u * u), 0.0, 1.0, epsabs=0.0, epsrel=1e-12)[0]
        return mean, 4.0 * mean - mean**2
    if target == "tail":
        p = integrate.quad(lambda v: np.exp(normal_logpdf(v, 0.0, 1.0)), TAIL_AT, np.inf, epsabs=0.0)[0]
        return p, p - p * p
    if target == "recon":
        centre, scale = toy.m, toy.s
        f = lambda z: normal_logpdf(toy.x, toy.w * z, toy.noise)  # noqa: E731
    elif target == "kl":
        centre, scale = toy.m, toy.s
        f = lambda z: normal_logpdf(z, toy.m, toy.s) - normal_logpdf(z, 0.0, 1.0)  # noqa: E731
    else:
        centre, scale = 0.0, 1.0
        f = {"square": np.square, "exp": np.exp}[target]

    def expect(g):
        lo, hi = centre - 40.0 * scale, centre + 40.0 * scale
        with warnings.catch_warnings():  # asking for 1e-11 can trip a harmless round-off notice at extremes
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return integrate.quad(
                lambda v: g(v) * np.exp(normal_logpdf(v, centre, scale)),
                lo,
                hi,
                points=[centre],
                limit=400,
                epsabs=0.0,
                epsrel=1e-11,
            )[0]

    mean = expect(f)
    return mean, expect(lambda v: (f(v) - mean) ** 2)
