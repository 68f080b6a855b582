"""The 2-D latent plane of the pretrained VAE: decoded images, the manifold, interpolation, and
one digit's ELBO ledger with its true posterior on a grid (eq. 1.4.12 on a real model).

Notation (the chapter's errata fixed): the encoder is q_φ(z|x) = N(μ, diag σ²), the decoder is
p_θ(x|z) (Bernoulli pixels with logits ℓ_θ(z)), the prior p(z) = N(0, I), and the true posterior
p(z|x) = p_θ(x|z) p(z) / p(x) (eq. 1.4.2). A latent point z is a length-2 array; images are
flattened (784,) = 28 × 28 pixel means in [0, 1]. Every log density is in nats.

Because D_z = 2, the evidence p(x) = ∫ p_θ(x|z) p(z) dz can be integrated on a grid. The
posterior of this model is narrow (s.d. ≈ 0.02–0.06), and the encoder's q often sits several
posterior widths away from it, so :func:`digit_posterior` first finds where the mass is on a
coarse grid over the whole plane and then integrates a fine square window that holds both the
posterior and q. All functions compute in numpy and never import torch for the model the pages
serve, a :class:`vae_core.np_vae.NumpyVAE` (the shipped weights, torch's numbers and seeded draws).
A torch ``vae_core.model.VAE`` (training, the timeline, tests) is accepted too: torch is imported
then, and its own encoder and decoder give the numbers (bit for bit as before in :func:`encode` and
:func:`decode_means`, whose outputs the timeline and the browser export record).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Φ and Φ⁻¹ straight from scipy.special (scipy.stats.norm calls the same ndtr/ndtri), because importing
# scipy.stats costs seconds of a fresh server's first /latent load (docs/benchmarks.md, issue 24).
from scipy.special import logsumexp, ndtr, ndtri

from vae_core import np_vae
from vae_core.np_vae import DEFAULT_CHUNK, GRID_LIM, NumpyVAE, TorchCPUGenerator, grid_axis

LATENT_DIM = 2
PRIOR_RADII = (1.0, 2.0)  # the 1σ / 2σ contours drawn for N(0, I) and for q


# --- small helpers ------------------------------------------------------------------------------
def as_numpy(model) -> NumpyVAE | np_vae.ModelFunctions:
    """The model with NumpyVAE's interface: the served :class:`NumpyVAE` itself; a torch model
    (training, the timeline, tests) through :class:`vae_core.np_vae.ModelFunctions`, so its own
    encoder and decoder give the numbers."""
    return model if isinstance(model, NumpyVAE | np_vae.ModelFunctions) else np_vae.ModelFunctions(model)


def _latents(z, model: NumpyVAE) -> np.ndarray:
    """Any (…, 2) array-like -> (N, 2) in the model's dtype."""
    return np.asarray(z, dtype=model.dtype).reshape(-1, LATENT_DIM)


def _image(x, model: NumpyVAE) -> np.ndarray:
    """One image (784,) -> (1, 784) in the model's dtype."""
    return np.asarray(x, dtype=model.dtype).reshape(1, -1)


def _generator(seed: int) -> TorchCPUGenerator:
    """The draws torch.Generator().manual_seed(seed) gives on the CPU (the numbers the pages showed)."""
    return TorchCPUGenerator(int(seed))


# --- decoding the plane -------------------------------------------------------------------------
def decode_means(model, z) -> np.ndarray:
    """Pixel means E[x|z] = sigmoid(ℓ_θ(z)) of the Bernoulli decoder p_θ(x|z).

    ``z`` (2,) or (N, 2) -> float32 (N, 784) in [0, 1]. This is what the page shows for a latent
    point: the decoder's *mean* image, not a binary sample from it.
    """
    if not isinstance(model, NumpyVAE):  # a torch model: its own numbers, bit for bit (the timeline records them)
        import torch

        device = next(model.parameters()).device
        with torch.inference_mode():
            z = torch.as_tensor(np.asarray(z, dtype=np.float32).reshape(-1, LATENT_DIM), device=device)
            return torch.sigmoid(model.decode(z)).cpu().numpy()
    return np_vae.sigmoid(model.decode(_latents(z, model)))


def bernoulli_sample(means: np.ndarray, seed: int) -> np.ndarray:
    """One binary image x ~ p_θ(x|z) per row of pixel means (N, 784) -> uint8 (N, 784).

    The uniforms depend only on ``seed``, so moving z changes the sample smoothly (common random
    numbers): a pixel flips exactly when its mean crosses its fixed uniform.
    """
    uniforms = np.random.default_rng(seed).random(means.shape[-1])
    return (uniforms < means).astype(np.uint8)


# --- the manifold over the prior's quantiles -----------------------------------------------------
def prior_quantile_axis(n: int) -> np.ndarray:
    """(n,) latent values z = Φ⁻¹((i + ½)/n): the centres, in probability, of n cells that each
    hold 1/n of the N(0, 1) prior's mass (the grid of Kingma & Welling's manifold figure)."""
    return ndtri((np.arange(n) + 0.5) / n)


def manifold_latents(n: int) -> np.ndarray:
    """(n, n, 2) latent points of the manifold; row 0 is the top (largest z₂), column 0 the
    left (smallest z₁), so the picture has the same orientation as the latent map."""
    axis = prior_quantile_axis(n)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1, z2], axis=-1)


def manifold_cell(z, n: int) -> tuple[int, int]:
    """(row, column) of the manifold cell whose equal-prior-mass cell contains z (2,)."""
    col = min(int(ndtr(z[0]) * n), n - 1)
    row = n - 1 - min(int(ndtr(z[1]) * n), n - 1)
    return row, col


def manifold(model, n: int) -> np.ndarray:
    """Decoded pixel means on the n × n prior-quantile grid: float32 (n, n, 784)."""
    return decode_means(model, manifold_latents(n).reshape(-1, LATENT_DIM)).reshape(n, n, -1)


def interpolation_path(z_start, z_end, frames: int) -> np.ndarray:
    """(frames, 2) points on the straight segment from ``z_start`` to ``z_end``, both included."""
    t = np.linspace(0.0, 1.0, frames)[:, None]
    return (1.0 - t) * np.asarray(z_start, dtype=np.float64) + t * np.asarray(z_end, dtype=np.float64)


def ellipse(mu, sd, radius: float, points: int = 121) -> np.ndarray:
    """(points, 2) closed curve {z : Σⱼ ((zⱼ − μⱼ)/σⱼ)² = radius²} of a diagonal Gaussian N(μ, diag σ²).

    In 2-D it encloses a probability mass of 1 − exp(−radius²/2) (see :func:`mass_inside`).
    """
    angle = np.linspace(0.0, 2.0 * np.pi, points)
    unit = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    return np.asarray(mu, dtype=np.float64) + radius * np.asarray(sd, dtype=np.float64) * unit


def mass_inside(radius: float) -> float:
    """P(‖ε‖ ≤ radius) for ε ~ N(0, I₂): the χ²₂ CDF, 1 − exp(−radius²/2) (39.3 % at 1, 86.5 % at 2)."""
    return -math.expm1(-0.5 * radius * radius)


# --- the encoder on a data set ------------------------------------------------------------------
def encode(model, x) -> tuple[np.ndarray, np.ndarray]:
    """q_φ(z|x) for images x (N, 784) -> (μ (N, 2), σ (N, 2)) as float64 numpy."""
    if not isinstance(model, NumpyVAE):  # a torch model: its own numbers, bit for bit (the timeline, the export)
        import torch

        with torch.inference_mode():
            x = torch.as_tensor(np.asarray(x, dtype=np.float32), device=next(model.parameters()).device)
            mu, logvar = model.encode(x)
            return mu.double().cpu().numpy(), torch.exp(0.5 * logvar).double().cpu().numpy()
    mu, logvar = model.encode(np.asarray(x, dtype=model.dtype))
    return mu.astype(np.float64), np.exp(0.5 * logvar).astype(np.float64)


# --- one digit: the true posterior on a grid -----------------------------------------------------
@dataclass(frozen=True)
class DigitPosterior:
    """p(z|x) ∝ p_θ(x|z) p(z) for one image on a fine square window, and the numbers it gives.

    Grid: cell centres ``z1``, ``z2`` (n,), spacing ``step``; ``log_joint`` (n, n) float64 is
    log p_θ(x|z) + log p(z) at the centres (rows index z₂, columns z₁). Evidence, in nats:
    ``log_px`` = log(window integral + coarse mass outside the window), ``log_px_window``,
    ``log_outside`` (−inf when nothing is outside), ``log_px_coarse`` (the locating grid alone),
    ``log_px_spacings`` {spacing: estimate} from the same window at spacings h, 2h, 4h (a
    refinement check). :attr:`posterior` (n, n): probability per cell. ``post_mean``, ``post_sd``
    (2,): moments on the window. q: ``mu_q``, ``sd_q`` (2,); ``q_mass`` its mass on the grid
    (≈ 1); ``recon_quad`` = E_q[log p_θ(x|z)] by quadrature; ``kl_prior`` = KL(q ‖ p(z)) in
    closed form; ``kl_posterior`` = KL(q ‖ p(z|x)) by quadrature of q log(q / p(z|x)).
    """

    z1: np.ndarray
    z2: np.ndarray
    step: float
    log_joint: np.ndarray
    log_px: float
    log_px_window: float
    log_outside: float
    log_px_coarse: float
    log_px_spacings: dict[float, float]
    post_mean: np.ndarray
    post_sd: np.ndarray
    mu_q: np.ndarray
    sd_q: np.ndarray
    q_mass: float
    recon_quad: float
    kl_prior: float
    kl_posterior: float

    @property
    def posterior(self) -> np.ndarray:
        """(n, n) p(z|x) h² at the cell centres: the probability of each cell (derived on demand, so a
        cached DigitPosterior holds one grid, not two)."""
        return np.exp(self.log_joint - self.log_px) * self.step**2

    @property
    def elbo_quad(self) -> float:
        """E_q[log p_θ(x|z)] − KL(q ‖ p(z)) (eq. 1.4.12), with the expectation by quadrature."""
        return self.recon_quad - self.kl_prior

    @property
    def gap(self) -> float:
        """log p(x) − ELBO, which eq. 1.4.10 says equals KL(q ‖ p(z|x)) (compare ``kl_posterior``)."""
        return self.log_px - self.elbo_quad

    def hpd_levels(self, masses: tuple[float, ...] | None = None) -> list[float]:
        """log posterior density thresholds whose superlevel sets hold the given masses (the
        highest-density regions: with the default 39.3 % and 86.5 % they are the posterior's
        analogue of q's 1σ and 2σ ellipses)."""
        masses = masses if masses is not None else tuple(mass_inside(r) for r in PRIOR_RADII)
        flat = np.sort(self.posterior.ravel())[::-1]
        filled = np.cumsum(flat) / flat.sum()
        levels = []
        for mass in masses:
            cell = flat[min(int(np.searchsorted(filled, mass)), flat.size - 1)]
            levels.append(float(np.log(max(cell, 1e-300)) - 2.0 * math.log(self.step)))
        return levels

    def mass_in_q(self, radius: float = PRIOR_RADII[1]) -> float:
        """The true posterior's probability inside q's ``radius``·σ ellipse (a perfect q would give
        :func:`mass_inside` (radius), 86.5 % at 2σ) — an overlap measure that stays honest when the
        posterior has several modes and its mean sits between them."""
        zz1, zz2 = np.meshgrid(self.z1, self.z2)
        inside = ((zz1 - self.mu_q[0]) / self.sd_q[0]) ** 2 + ((zz2 - self.mu_q[1]) / self.sd_q[1]) ** 2 <= radius**2
        return float(self.posterior[inside].sum())

    def log_density(self) -> np.ndarray:
        """(n, n) log p(z|x) at the cell centres (a density, per unit area)."""
        return self.log_joint - self.log_px

    def view_box(
        self, mass: float = 0.999, q_radius: float = 3.0, pad: float = 0.15
    ) -> tuple[tuple[float, float], float]:
        """A square ((centre z₁, centre z₂), half-width) for a zoomed picture: the highest-density
        cells holding ``mass`` of the posterior and q's box μ ± ``q_radius``·σ, padded by ``pad``."""
        flat = self.posterior.ravel()
        order = np.argsort(flat)[::-1]
        count = int(np.searchsorted(np.cumsum(flat[order]) / flat.sum(), mass)) + 1
        rows, cols = np.unravel_index(order[:count], self.posterior.shape)
        cells = np.stack([self.z1[cols], self.z2[rows]], axis=-1)
        center, half = _square_window(cells, self.step, self.mu_q, self.sd_q, q_radius)
        return (float(center[0]), float(center[1])), half * (1.0 + 2.0 * pad)


def _log_joint(model: NumpyVAE, x: np.ndarray, z: np.ndarray, chunk: int) -> np.ndarray:
    """log p_θ(x|z) + log p(z) (N,) float64 for one image x (1, 784) at latent points z (N, 2)."""
    return np_vae.grid_log_joint(model, x, z, chunk)[0].astype(np.float64)


def _square_window(
    points: np.ndarray, margin: float, mu_q: np.ndarray, sd_q: np.ndarray, q_radius: float
) -> tuple[np.ndarray, float]:
    """Centre (2,) and half-width of the smallest square holding ``points`` ± margin and q's box."""
    lo = np.minimum(points.min(axis=0) - margin, mu_q - q_radius * sd_q)
    hi = np.maximum(points.max(axis=0) + margin, mu_q + q_radius * sd_q)
    return 0.5 * (lo + hi), 0.5 * float(np.max(hi - lo))


def digit_posterior(
    model,
    x,
    coarse_n: int = 120,
    threshold: float = 20.0,
    q_radius: float = 6.0,
    max_step: float = 0.01,
    n_min: int = 120,
    n_max: int = 360,
    chunk: int = DEFAULT_CHUNK,
) -> DigitPosterior:
    """The true posterior p(z|x) of one binary image x (784,) and the terms of eqs. 1.4.10/1.4.12.

    1. Locate: :func:`vae_core.np_vae.log_px_grid` on a ``coarse_n``² grid over [−6, 6]².
       Keep every cell whose posterior probability is within e^−``threshold`` of the largest (all
       modes that matter).
    2. Window: the smallest square holding those cells (± 1.5 coarse cells) and q's box
       μ ± ``q_radius``·σ, gridded with spacing ≤ min(``max_step``, σ_min/1.5) — fine enough to
       resolve both q and the posterior (its s.d. is ≥ 0.016 on the holdout) — with n² cells,
       ``n_min`` ≤ n ≤ ``n_max``.
    3. Midpoint rule: log p(x) = log[h² Σ_g p_θ(x|z_g) p(z_g) + coarse mass outside the window]
       (by construction a ≤ e^−threshold share). The same window at spacings 2h and 4h (every
       2nd / 4th cell) checks the rule has converged.
    4. With q on the same grid: E_q[log p_θ(x|z)] and KL(q ‖ p(z|x)) = ∫ q log(q/p(z|x)) dz by
       quadrature; KL(q ‖ p(z)) in closed form. Eq. 1.4.10 says log p(x) − ELBO = KL(q ‖ p(z|x)).
    """
    model = as_numpy(model)
    x_t = _image(x, model)
    mu_t, logvar_t = model.encode(x_t)
    kl_prior = float(np_vae.kl_to_standard_normal(mu_t, logvar_t)[0])
    mu_q = mu_t[0].astype(np.float64)
    sd_q = np.exp(0.5 * logvar_t[0]).astype(np.float64)

    # 1. locate the mass on a coarse grid over the whole plane
    coarse_log_px, coarse_posts, coarse_z1, coarse_z2 = np_vae.log_px_grid(
        model, x_t, lim=GRID_LIM, n=coarse_n, chunk=chunk
    )
    coarse_post = coarse_posts[0].astype(np.float64)  # (n, n) rows z2, columns z1
    h_coarse = 2.0 * GRID_LIM / coarse_n
    rows, cols = np.nonzero(coarse_post >= coarse_post.max() * math.exp(-threshold))
    kept = np.stack([coarse_z1[cols], coarse_z2[rows]], axis=-1)

    # 2. a square window around the posterior's mass and q, fine enough for both
    center, half = _square_window(kept, 1.5 * h_coarse, mu_q, sd_q, q_radius)
    target = min(max_step, float(sd_q.min()) / 1.5)
    n = int(np.clip(math.ceil(2.0 * half / target), n_min, n_max))
    n += -n % 4  # divisible by 4 for the 2h / 4h sub-grids
    z1, z2 = grid_axis(half, n, center[0]), grid_axis(half, n, center[1])
    step = 2.0 * half / n
    zz1, zz2 = np.meshgrid(z1, z2)  # (n, n): rows z2, columns z1
    log_joint = _log_joint(model, x_t, np.stack([zz1.ravel(), zz2.ravel()], axis=-1), chunk).reshape(n, n)

    # 3. the evidence: window + the coarse cells outside it
    log_px_window = float(logsumexp(log_joint)) + 2.0 * math.log(step)
    cz1, cz2 = np.meshgrid(coarse_z1, coarse_z2)
    outside = (np.abs(cz1 - center[0]) > half) | (np.abs(cz2 - center[1]) > half)
    mass_out = float(coarse_post[outside].sum())
    log_outside = math.log(mass_out) + float(coarse_log_px[0]) if mass_out > 0 else -math.inf
    log_px = float(np.logaddexp(log_px_window, log_outside))
    spacings = {step: log_px_window}
    for stride in (2, 4):
        sub = log_joint[stride // 2 :: stride, stride // 2 :: stride]
        spacings[stride * step] = float(logsumexp(sub)) + 2.0 * math.log(stride * step)

    # the posterior per cell and its moments on the window
    posterior = np.exp(log_joint - log_px) * step**2
    weights = posterior / posterior.sum()
    post_mean = np.array([np.sum(weights * zz1), np.sum(weights * zz2)])
    post_var = np.array([np.sum(weights * (zz1 - post_mean[0]) ** 2), np.sum(weights * (zz2 - post_mean[1]) ** 2)])

    # 4. q on the same grid: the reconstruction term and KL(q ‖ p(z|x)) by quadrature
    log_q = -0.5 * (((zz1 - mu_q[0]) / sd_q[0]) ** 2 + ((zz2 - mu_q[1]) / sd_q[1]) ** 2) - np.log(
        2.0 * np.pi * sd_q[0] * sd_q[1]
    )
    q_cell = np.exp(log_q) * step**2
    q_mass = float(q_cell.sum())
    log_prior = -0.5 * (zz1**2 + zz2**2) - math.log(2.0 * math.pi)
    recon_quad = float(np.sum(q_cell * (log_joint - log_prior)) / q_mass)
    kl_posterior = float(np.sum(q_cell * (log_q - (log_joint - log_px))) / q_mass)
    return DigitPosterior(
        z1=z1,
        z2=z2,
        step=step,
        log_joint=log_joint,
        log_px=log_px,
        log_px_window=log_px_window,
        log_outside=log_outside,
        log_px_coarse=float(coarse_log_px[0]),
        log_px_spacings=spacings,
        post_mean=post_mean,
        post_sd=np.sqrt(post_var),
        mu_q=mu_q,
        sd_q=sd_q,
        q_mass=q_mass,
        recon_quad=recon_quad,
        kl_prior=kl_prior,
        kl_posterior=kl_posterior,
    )


# --- one digit: Monte Carlo estimates -----------------------------------------------------------
@dataclass(frozen=True)
class ElboEstimate:
    """The L-sample estimate of eq. 1.4.13 for one image: ``recon`` ± ``recon_se`` (the mean of
    log p_θ(x|z_l) over z_l ~ q and its standard error), ``kl`` = KL(q ‖ p(z)) exact; nats."""

    recon: float
    recon_se: float
    kl: float
    samples: int
    seed: int

    @property
    def elbo(self) -> float:
        return self.recon - self.kl


def elbo_estimate(model, x, samples: int, seed: int) -> ElboEstimate:
    """Eq. 1.4.13 for one image x (784,) with L = ``samples`` reparameterized draws, seeded."""
    model = as_numpy(model)
    recon, recon_se, kl = np_vae.elbo_terms(model, _image(x, model), samples, _generator(seed))
    return ElboEstimate(float(recon[0]), float(recon_se[0]), float(kl[0]), samples, seed)


@dataclass(frozen=True)
class ImportanceEstimate:
    """log p̂(x) = log (1/k) Σᵢ wᵢ, wᵢ = p_θ(x|zᵢ) p(zᵢ) / q(zᵢ|x), zᵢ ~ q (Burda et al. 2016).

    ``log_px`` nats; ``se`` its delta-method standard error sd(w) / (√k · mean(w)) — the spread
    of the estimate, *not* its distance to log p(x): the estimator is biased low, and when q
    misses the posterior the weights can look steady while all being far too small. ``ess`` the
    effective sample size (Σw)² / Σw² ∈ [1, k]; ``z`` (k, 2) the draws and ``log_w`` (k,).
    """

    log_px: float
    se: float
    ess: float
    z: np.ndarray
    log_w: np.ndarray


def importance_estimate(model, x, k: int, seed: int) -> ImportanceEstimate:
    """Importance-sampled log p(x) with k draws from q_φ(z|x), through the model's forward pass."""
    model = as_numpy(model)
    z, log_w = np_vae.importance_draws(model, _image(x, model), k, _generator(seed))
    log_w = log_w[:, 0].astype(np.float64)  # (k,)
    z = z[:, 0].astype(np.float64)  # (k, 2)
    log_mean = float(logsumexp(log_w)) - math.log(k)
    log_mean_sq = float(logsumexp(2.0 * log_w)) - math.log(k)
    rel_var = max(math.exp(log_mean_sq - 2.0 * log_mean) - 1.0, 0.0)  # Var(w) / E[w]²
    ess = math.exp(2.0 * float(logsumexp(log_w)) - float(logsumexp(2.0 * log_w)))
    return ImportanceEstimate(log_mean, math.sqrt(rel_var / k), ess, z, log_w)


def importance_sweep(model, x, ks, repeats: int, seed: int) -> np.ndarray:
    """(len(ks), repeats) independent importance-sampled estimates of log p(x) for each k.

    Uses :func:`vae_core.np_vae.log_px_importance` (vae_core.evaluate's, in numpy) on ``repeats``
    copies of x, one seeded generator per k. Their mean rises with k toward log p(x) (every estimate
    is biased low).
    """
    model = as_numpy(model)
    batch = np.repeat(_image(x, model), repeats, axis=0)
    return np.stack(
        [
            np_vae.log_px_importance(model, batch, int(k), _generator(seed + i)).astype(np.float64)
            for i, k in enumerate(ks)
        ]
    )


def log_prior_density(z) -> float:
    """log N(z; 0, I) for one latent point z (2,), nats."""
    return float(np_vae.log_standard_normal(np.asarray(z, dtype=np.float64)))
