"""From the VAE to diffusion: the fixed Gaussian encoder, its closed forms, and an exact 1-D model.

A diffusion model is a Markov hierarchical VAE x₀ → x₁ → … → x_T whose encoder is *fixed*
(Ho et al. 2020, "Denoising Diffusion Probabilistic Models"; Luo 2022, "Understanding
Diffusion Models: A Unified Perspective", eqs. 31–58):

    forward kernel   q(x_t | x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t)                 (Ho eq. 2)
    closed form      q(x_t | x_0)     = N(√ᾱ_t x_0, (1−ᾱ_t)),  ᾱ_t = ∏_{s≤t} (1−β_s)   (Ho eq. 4)
    true posterior   q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t)                           (Ho eqs. 6–7)

The ELBO of the chapter (eq. 1.4.5) with z = x_{1:T} and q = the forward process splits like
eq. 1.4.12, into a reconstruction term, a prior-matching term and T−1 denoising-matching KLs
(Luo eq. 58, Ho eq. 5):

    ELBO = E_q[log p_θ(x₀|x₁)] − KL(q(x_T|x₀) ‖ p(x_T))
           − Σ_{t=2}^{T} E_{q(x_t|x₀)} KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t)),

and, as in eq. 1.4.10, log p_θ(x₀) − ELBO = KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) ≥ 0.
Each KL between Gaussians is the chapter's closed form (box after eq. 1.4.13,
:func:`vae_core.gaussian.kl_normal`). With T = 1 this is the chapter's one-latent VAE with the
fixed encoder q(x₁|x₀) = N(√ᾱ₁ x₀, 1−ᾱ₁).

The exact model here is one-dimensional and linear-Gaussian throughout: reverse kernels
p_θ(x_{t−1}|x_t) = N(a_t x_t + b_t, v_t) and a prior p(x_T) = N(μ_T, σ_T²), so the marginal
p_θ(x₀) is Gaussian and every number of the ledger — log p_θ(x₀), each ELBO term, the gap — is
exact. For data x₀ ~ N(m, s²) the forward process has an exactly linear-Gaussian reverse; with
those kernels and the exact marginal as prior the gap is 0 for every x₀ (:func:`gaussian_reverse`).

Conventions: t runs 1…T; arrays indexed by t have length T with entry t−1, arrays that
include t = 0 (ᾱ₀ = 1) have length T+1. Nats; variances, not standard deviations, unless a
name says ``sd``; 1 − ᾱ_t is computed as −expm1(log ᾱ_t) so small t keeps its digits.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from vae_core.gaussian import LOG_2PI, kl_normal, normal_logpdf

SCHEDULES = ("linear", "cosine")
VARIANCES = ("optimal", "beta", "beta_tilde")
PRIORS = ("exact", "standard")
MAX_BETA = 0.999  # Nichol & Dhariwal's clip: β_t = 1 would erase x_{t−1} and make the reverse singular
LINEAR_BETA_START, LINEAR_BETA_END, LINEAR_REFERENCE_T = 1e-4, 0.02, 1000  # Ho et al. 2020, §4
COSINE_OFFSET = 0.008  # s in Nichol & Dhariwal 2021, eq. 17


# --- noise schedules -------------------------------------------------------------------------


def linear_betas(T: int, beta_start: float = LINEAR_BETA_START, beta_end: float = LINEAR_BETA_END) -> np.ndarray:
    """β_1…β_T rising linearly from β_start to β_end, scaled by 1000/T (shape (T,)).

    At T = 1000 this is exactly Ho et al.'s schedule. For other T the endpoints are multiplied
    by 1000/T (Nichol & Dhariwal 2021's rule), so Σ β_t = 10.05 whatever T and x_T is nearly pure
    noise: ᾱ_T = ∏(1 − β_t) ≤ exp(−Σβ) ≈ 4e-5. For T < 50 the largest steps would exceed 1 and
    are clipped to MAX_BETA; T = 1 is the single step β₁ = MAX_BETA.
    """
    T = _check_T(T)
    scale = LINEAR_REFERENCE_T / T
    if T == 1:
        return np.array([min(scale * beta_end, MAX_BETA)])
    return np.minimum(np.linspace(scale * beta_start, scale * beta_end, T), MAX_BETA)


def cosine_betas(T: int, offset: float = COSINE_OFFSET) -> np.ndarray:
    """β_t = min(1 − ᾱ_t/ᾱ_{t−1}, MAX_BETA) with ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2).

    Nichol & Dhariwal 2021, eq. 17: ᾱ falls slowly at both ends, so less of the chain is spent
    on nearly pure noise than with the linear schedule. Shape (T,).
    """
    T = _check_T(T)
    steps = np.arange(T + 1) / T
    log_f = 2.0 * np.log(np.cos((steps + offset) / (1.0 + offset) * np.pi / 2.0).clip(1e-300))
    log_ratio = log_f[1:] - log_f[:-1]  # log ᾱ_t/ᾱ_{t−1}
    return np.minimum(-np.expm1(log_ratio), MAX_BETA)


def _check_T(T: int) -> int:
    if int(T) != T or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    return int(T)


class Schedule(NamedTuple):
    """A noise schedule β_1…β_T and the quantities derived from it (all numpy, float64)."""

    betas: np.ndarray  # (T,) β_t
    kind: str = "custom"

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> np.ndarray:
        """(T,) α_t = 1 − β_t."""
        return 1.0 - self.betas

    @property
    def log_alpha_bar(self) -> np.ndarray:
        """(T+1,) log ᾱ_t = Σ_{s≤t} log(1 − β_s), with log ᾱ₀ = 0."""
        return np.concatenate([[0.0], np.cumsum(np.log1p(-self.betas))])

    @property
    def alpha_bar(self) -> np.ndarray:
        """(T+1,) ᾱ_t, ᾱ₀ = 1: the share of x₀'s variance left in x_t (Ho eq. 4)."""
        return np.exp(self.log_alpha_bar)

    @property
    def one_minus_alpha_bar(self) -> np.ndarray:
        """(T+1,) 1 − ᾱ_t, the variance of the noise in x_t, accurate even when ᾱ_t ≈ 1."""
        return -np.expm1(self.log_alpha_bar)

    @property
    def log_snr(self) -> np.ndarray:
        """(T,) log SNR_t = log ᾱ_t − log(1 − ᾱ_t) for t = 1…T (Kingma et al. 2021's signal-to-noise ratio)."""
        lab = self.log_alpha_bar[1:]
        return lab - np.log(-np.expm1(lab))

    @property
    def snr(self) -> np.ndarray:
        """(T,) SNR_t = ᾱ_t / (1 − ᾱ_t), t = 1…T; it falls monotonically from large to ≈ 0."""
        return np.exp(self.log_snr)

    @property
    def posterior_variance(self) -> np.ndarray:
        """(T,) β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t), the variance of q(x_{t−1}|x_t, x₀) (Ho eq. 7); β̃₁ = 0."""
        omab = self.one_minus_alpha_bar
        return omab[:-1] * self.betas / omab[1:]


def make_schedule(T: int, kind: str = "linear") -> Schedule:
    """The schedule of T steps: ``kind`` "linear" (Ho et al. 2020, scaled to T) or "cosine" (Nichol & Dhariwal)."""
    if kind == "linear":
        return Schedule(linear_betas(T), "linear")
    if kind == "cosine":
        return Schedule(cosine_betas(T), "cosine")
    raise ValueError(f"kind must be one of {SCHEDULES}, got {kind!r}")


def _check_t(schedule: Schedule, t: ArrayLike, lowest: int = 1) -> np.ndarray:
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer) or np.any(t < lowest) or np.any(t > schedule.T):
        raise ValueError(f"t must be integers in {lowest}…{schedule.T}, got {t!r}")
    return t


# --- the fixed encoder: forward kernel, closed form, true posterior -----------------------------


def forward_kernel(schedule: Schedule, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(scale, variance) of q(x_t | x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t) — one encoder step (Ho eq. 2)."""
    t = _check_t(schedule, t)
    beta = schedule.betas[t - 1]
    return np.sqrt(1.0 - beta), beta


def marginal(schedule: Schedule, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(scale, variance) of q(x_t | x₀) = N(√ᾱ_t x₀, 1 − ᾱ_t): t steps in one jump (Ho eq. 4). t = 0 is x₀."""
    t = _check_t(schedule, t, lowest=0)
    return np.exp(0.5 * schedule.log_alpha_bar[t]), schedule.one_minus_alpha_bar[t]


def posterior_coefficients(schedule: Schedule, t: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(c₀, c_t, β̃_t) with q(x_{t−1} | x_t, x₀) = N(c₀ x₀ + c_t x_t, β̃_t) (Ho eqs. 6–7, Luo eq. 84):

        c₀ = √ᾱ_{t−1} β_t / (1 − ᾱ_t),   c_t = √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t),
        β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t).

    Bayes' rule on q(x_t|x_{t−1}) q(x_{t−1}|x₀): both Gaussian in x_{t−1}, so precisions add.
    At t = 1 the posterior is the point x₀ (c₀ = 1, c_t = 0, β̃₁ = 0).
    """
    t = _check_t(schedule, t)
    omab = schedule.one_minus_alpha_bar
    beta = schedule.betas[t - 1]
    c0 = np.exp(0.5 * schedule.log_alpha_bar[t - 1]) * beta / omab[t]
    ct = np.sqrt(1.0 - beta) * omab[t - 1] / omab[t]
    return c0, ct, omab[t - 1] * beta / omab[t]


def posterior(schedule: Schedule, t: ArrayLike, x_t: ArrayLike, x0: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(mean μ̃_t(x_t, x₀), variance β̃_t) of the true posterior q(x_{t−1} | x_t, x₀) (Ho eqs. 6–7)."""
    c0, ct, var = posterior_coefficients(schedule, t)
    return c0 * np.asarray(x0, float) + ct * np.asarray(x_t, float), var


# --- sampling the forward process, two ways --------------------------------------------------


def sample_jump(schedule: Schedule, x0: ArrayLike, t: int, n: int, seed: int) -> np.ndarray:
    """n draws of x_t ~ q(x_t | x₀) in one step, x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Ho eq. 4). Shape (n, *x0.shape)."""
    x0 = np.asarray(x0, float)
    scale, var = marginal(schedule, t)
    eps = np.random.default_rng(seed).standard_normal((n, *x0.shape))
    return scale * x0 + np.sqrt(var) * eps


def sample_paths(schedule: Schedule, x0: ArrayLike, n: int, seed: int, t: int | None = None) -> np.ndarray:
    """n forward paths x₀, x₁, …, x_t (t = T by default), each step drawn from q(x_s | x_{s−1}).

    Shape (n, t+1, *x0.shape); entry [:, 0] is x₀. Walking t steps and :func:`sample_jump` give
    the same distribution of x_t (the closed form), with different draws.
    """
    x0 = np.asarray(x0, float)
    t = schedule.T if t is None else int(_check_t(schedule, t, lowest=0))
    eps = np.random.default_rng(seed).standard_normal((n, t, *x0.shape))
    paths = np.empty((n, t + 1, *x0.shape))
    paths[:, 0] = x0
    for s in range(1, t + 1):
        beta = schedule.betas[s - 1]
        paths[:, s] = np.sqrt(1.0 - beta) * paths[:, s - 1] + np.sqrt(beta) * eps[:, s - 1]
    return paths


def sample_walk(schedule: Schedule, x0: ArrayLike, t: int, n: int, seed: int) -> np.ndarray:
    """n draws of x_t by walking t steps of q(x_s | x_{s−1}) from x₀. Shape (n, *x0.shape)."""
    return sample_paths(schedule, x0, n, seed, t)[:, -1]


# --- the exact 1-D model: linear-Gaussian reverse kernels ------------------------------------


class Reverse(NamedTuple):
    """The generative chain p(x_T) = N(prior_mean, prior_var), p_θ(x_{t−1}|x_t) = N(a_t x_t + b_t, v_t).

    ``a``, ``b``, ``var`` have shape (T,), entry t−1 for the kernel that produces x_{t−1};
    entry 0 is the decoder p_θ(x₀|x₁) of the reconstruction term.
    """

    a: np.ndarray
    b: np.ndarray
    var: np.ndarray
    prior_mean: float = 0.0
    prior_var: float = 1.0


def data_marginal(schedule: Schedule, data_mean: float, data_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(M_t, S_t), t = 0…T, shape (T+1,) each: q(x_t) = N(√ᾱ_t m, ᾱ_t s² + 1 − ᾱ_t) when x₀ ~ N(m, s²)."""
    ab, omab = schedule.alpha_bar, schedule.one_minus_alpha_bar
    return np.sqrt(ab) * data_mean, ab * data_sd**2 + omab


def gaussian_reverse(
    schedule: Schedule, data_mean: float, data_sd: float, variance: str = "optimal", prior: str = "exact"
) -> Reverse:
    """Reverse kernels that denoise as if the data were N(m, s²) (m = ``data_mean``, s = ``data_sd``).

    Under x₀ ~ N(m, s²) the pair (x_{t−1}, x_t) is jointly Gaussian with Cov = √α_t S_{t−1}, so
    the true reverse step is linear-Gaussian:

        q(x_{t−1} | x_t) = N(M_{t−1} + √α_t S_{t−1}/S_t · (x_t − M_t),  S_{t−1} β_t / S_t)

    (:func:`data_marginal` gives M, S). Its mean equals μ̃_t(x_t, E[x₀|x_t]), Ho et al.'s
    parametrization with a perfect denoiser. ``variance``: "optimal" (the conditional variance
    above), "beta" (v_t = β_t) or "beta_tilde" (v_t = β̃_t, with v₁ = β̃₂ — Nichol & Dhariwal's
    clip, since β̃₁ = 0 — or β₁ when T = 1): Ho et al.'s two fixed choices. ``prior``: "exact"
    (p(x_T) = q(x_T) = N(M_T, S_T)) or "standard" (N(0, 1), what a DDPM uses).

    With "optimal" and "exact" the chain p_θ(x_{0:T}) equals the forward joint q(x_{0:T}), so
    p_θ(x₀) = N(m, s²) and the gap KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) is 0 for every x₀.
    """
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {VARIANCES}, got {variance!r}")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
    M, S = data_marginal(schedule, data_mean, data_sd)
    beta = schedule.betas
    gain = np.sqrt(1.0 - beta) * S[:-1] / S[1:]  # (T,) regression slope of x_{t−1} on x_t
    a = gain
    b = M[:-1] - gain * M[1:]
    if variance == "optimal":
        var = S[:-1] * beta / S[1:]
    elif variance == "beta":
        var = beta.copy()
    else:
        var = schedule.posterior_variance.copy()
        var[0] = var[1] if schedule.T > 1 else beta[0]
    if prior == "exact":
        return Reverse(a, b, var, float(M[-1]), float(S[-1]))
    return Reverse(a, b, var, 0.0, 1.0)


def fit_reverse(schedule: Schedule, data_mean: float, data_sd: float, prior: str = "exact") -> Reverse:
    """The reverse chain that maximizes the expected ELBO E_{x₀~N(m, s²)}[ELBO(x₀)], in closed form.

    Each term of the ELBO involves its own parameters: the reconstruction term only (a₁, b₁, v₁),
    the prior-matching term only p(x_T), the t-th denoising term only (a_t, b_t, v_t). Averaged
    over the data, the t-th term is −E[−log p_θ(x_{t−1}|x_t)] + const, a Gaussian regression of
    x_{t−1} on x_t, maximized by the true reverse q(x_{t−1}|x_t); the prior term by moment
    matching p(x_T) = q(x_T). So the fit is :func:`gaussian_reverse` with the optimal variance;
    ``prior`` "exact" fits p(x_T), "standard" keeps N(0, 1). With the fitted prior the maximum is
    E[log N(x₀; m, s²)] = −½ log(2πe s²), the data's negative entropy.
    """
    return gaussian_reverse(schedule, data_mean, data_sd, "optimal", prior)


def marginal_x0(rev: Reverse) -> tuple[float, float]:
    """(mean, variance) of p_θ(x₀) = ∫ p(x_T) ∏_t p_θ(x_{t−1}|x_t) dx_{1:T} (eq. 1.4.1 on the whole chain).

    Composing linear-Gaussian steps keeps a Gaussian: mean ← a_t·mean + b_t, var ← a_t²·var + v_t,
    from t = T down to 1.
    """
    mean, var = float(rev.prior_mean), float(rev.prior_var)
    for a, b, v in zip(rev.a[::-1], rev.b[::-1], rev.var[::-1], strict=True):
        mean, var = a * mean + b, a * a * var + v
    return float(mean), float(var)


def log_evidence(x0: ArrayLike, rev: Reverse) -> np.ndarray:
    """log p_θ(x₀), exact: the Gaussian marginal of :func:`marginal_x0` at x₀ (nats)."""
    mean, var = marginal_x0(rev)
    return normal_logpdf(x0, mean, np.sqrt(var))


class Ledger(NamedTuple):
    """The diffusion ELBO term by term (nats), the analogue of the ELBO page's ledger (eq. 1.4.10).

    ``denoising`` has shape (..., T−1): entry t−2 is E_{q(x_t|x₀)} KL(q(x_{t−1}|x_t,x₀) ‖ p_θ(x_{t−1}|x_t)),
    t = 2…T. elbo = reconstruction − prior_matching − Σ denoising; gap = log_evidence − elbo.
    """

    log_evidence: np.ndarray
    reconstruction: np.ndarray
    prior_matching: np.ndarray
    denoising: np.ndarray

    @property
    def elbo(self) -> np.ndarray:
        return self.reconstruction - self.prior_matching - self.denoising.sum(axis=-1)

    @property
    def gap(self) -> np.ndarray:
        """KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) = log p_θ(x₀) − ELBO ≥ 0 (eq. 1.4.10 for the chain)."""
        return self.log_evidence - self.elbo


def _terms(schedule: Schedule, rev: Reverse, x0_mean: np.ndarray, x0_var: np.ndarray):
    """Reconstruction, prior matching, denoising terms averaged over x₀ ~ N(x0_mean, x0_var).

    x0_var = 0 is one observed x₀. Every term is a Gaussian expectation of a quadratic, so
    E[(k x₀ + c)²] = (k x0_mean + c)² + k² x0_var closes each one.
    """
    root_ab, omab = np.exp(0.5 * schedule.log_alpha_bar), schedule.one_minus_alpha_bar
    m0, v0 = x0_mean[..., None], x0_var[..., None]  # (..., 1)
    # reconstruction E_{q(x₁|x₀)} log N(x₀; a₁x₁ + b₁, v₁), x₁ = √ᾱ₁ x₀ + √(1−ᾱ₁) ε
    a1, b1, v1 = rev.a[0], rev.b[0], rev.var[0]
    k = 1.0 - a1 * root_ab[1]
    sq = (k * x0_mean - b1) ** 2 + k**2 * x0_var + a1**2 * omab[1]
    recon = -0.5 * LOG_2PI - 0.5 * np.log(v1) - sq / (2.0 * v1)
    # prior matching KL(N(√ᾱ_T x₀, 1−ᾱ_T) ‖ N(μ_T, σ_T²)); the x₀ spread adds ᾱ_T v0 / (2σ_T²)
    prior = kl_normal(root_ab[-1] * x0_mean, np.sqrt(omab[-1]), rev.prior_mean, np.sqrt(rev.prior_var))
    prior = prior + np.exp(schedule.log_alpha_bar[-1]) * x0_var / (2.0 * rev.prior_var)
    if schedule.T == 1:
        return recon, prior, np.zeros((*np.shape(x0_mean), 0))
    t = np.arange(2, schedule.T + 1)
    c0, ct, post_var = posterior_coefficients(schedule, t)  # (T−1,)
    a, b, v = rev.a[1:], rev.b[1:], rev.var[1:]
    # mean difference μ̃ − μ_θ = (c_t − a_t) x_t + c₀ x₀ − b_t, with x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε:
    # its square averages to (k x0_mean − b)² + k² x0_var + (c_t − a_t)² (1 − ᾱ_t), k = (c_t − a_t)√ᾱ_t + c₀
    slope = ct - a
    k = slope * root_ab[t] + c0
    at_mean = kl_normal(k * m0, np.sqrt(post_var), b, np.sqrt(v))  # the KL at the mean of the difference
    denoise = at_mean + (k**2 * v0 + slope**2 * omab[t]) / (2.0 * v)
    return recon, prior, denoise


def ledger(x0: ArrayLike, schedule: Schedule, rev: Reverse) -> Ledger:
    """log p_θ(x₀) and the ELBO's terms for one observed x₀ (broadcasts over an array of x₀), exact.

    Luo 2022 eq. 58 / Ho et al. 2020 eq. 5 — the chapter's eq. 1.4.12 with T latent steps: the
    reconstruction term E_{q(x₁|x₀)}[log p_θ(x₀|x₁)], the prior-matching KL(q(x_T|x₀) ‖ p(x_T)),
    and the denoising-matching terms E_{q(x_t|x₀)} KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t)),
    each the KL between two Gaussians (box after eq. 1.4.13) averaged over x_t in closed form.
    """
    if len(rev.a) != schedule.T:
        raise ValueError(f"the reverse chain has {len(rev.a)} steps, the schedule {schedule.T}")
    x0 = np.asarray(x0, float)
    recon, prior, denoise = _terms(schedule, rev, x0, np.zeros_like(x0))
    return Ledger(log_evidence(x0, rev), recon, prior, denoise)


def expected_ledger(data_mean: float, data_sd: float, schedule: Schedule, rev: Reverse) -> Ledger:
    """The ledger averaged over data x₀ ~ N(m, s²), exact: E[log p_θ(x₀)] (the negative cross-entropy
    of the data under the model) and each ELBO term's expectation. What :func:`fit_reverse` maximizes."""
    mean, var = marginal_x0(rev)
    m0, v0 = np.asarray(float(data_mean)), np.asarray(float(data_sd) ** 2)
    expected_log_p = -0.5 * LOG_2PI - 0.5 * np.log(var) - ((m0 - mean) ** 2 + v0) / (2.0 * var)
    recon, prior, denoise = _terms(schedule, rev, m0, v0)
    return Ledger(expected_log_p, recon, prior, denoise)


# --- the same numbers by Monte Carlo over forward paths (the page's check) -------------------


def log_q_paths(paths: np.ndarray, schedule: Schedule) -> np.ndarray:
    """log q(x_{1:T} | x₀) = Σ_t log N(x_t; √(1−β_t) x_{t−1}, β_t) for paths (n, T+1) -> (n,)."""
    beta = schedule.betas
    return normal_logpdf(paths[:, 1:], np.sqrt(1.0 - beta) * paths[:, :-1], np.sqrt(beta)).sum(axis=1)


def log_p_paths(paths: np.ndarray, rev: Reverse) -> np.ndarray:
    """log p_θ(x_{0:T}) = log p(x_T) + Σ_t log N(x_{t−1}; a_t x_t + b_t, v_t) for paths (n, T+1) -> (n,)."""
    steps = normal_logpdf(paths[:, :-1], rev.a * paths[:, 1:] + rev.b, np.sqrt(rev.var)).sum(axis=1)
    return steps + normal_logpdf(paths[:, -1], rev.prior_mean, np.sqrt(rev.prior_var))


class PathEstimates(NamedTuple):
    """Seeded Monte Carlo over n forward paths x_{1:T} ~ q(·|x₀) (nats; ± one standard error)."""

    elbo: float  # mean of log p_θ(x_{0:T}) − log q(x_{1:T}|x₀): unbiased for the ELBO (eq. 1.4.5)
    elbo_se: float
    log_evidence: float  # log-mean-exp of the same log-weights: ≤ log p_θ(x₀) in expectation (IWAE)
    log_evidence_se: float  # delta method


def path_estimates(x0: float, schedule: Schedule, rev: Reverse, n: int, seed: int) -> PathEstimates:
    """The ELBO and log p_θ(x₀) estimated from n forward paths — no closed form used, only densities.

    The log-weight log p_θ(x_{0:T}) − log q(x_{1:T}|x₀) is the chapter's eq. 1.4.4 ratio with
    z = x_{1:T}; it is constant (zero variance) exactly when the gap is 0.
    """
    paths = sample_paths(schedule, float(x0), n, seed)  # (n, T+1)
    log_w = log_p_paths(paths, rev) - log_q_paths(paths, schedule)
    lme = float(np.logaddexp.reduce(log_w) - np.log(n))
    ratio = np.exp(log_w - lme)
    ddof = 1 if n > 1 else 0
    return PathEstimates(
        float(log_w.mean()), float(log_w.std(ddof=ddof) / np.sqrt(n)), lme, float(ratio.std(ddof=ddof) / np.sqrt(n))
    )
