"""Gaussian densities and KL divergences in closed form (nats).

The chapter's box after eq. 1.4.13 gives, for univariate Gaussians,

    KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½,

the continuous KL of eq. 1.4.11 evaluated exactly. The VAE's prior-matching term in
eq. 1.4.12 is the diagonal case against N(0, I), which the chapter skips:

    KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²).

All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

LOG_2PI = float(np.log(2.0 * np.pi))


def normal_logpdf(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """log N(x; μ, σ²), computed in log space so it never underflows to log(0)."""
    x, mu, sigma = np.asarray(x, float), np.asarray(mu, float), np.asarray(sigma, float)
    return -0.5 * LOG_2PI - np.log(sigma) - 0.5 * ((x - mu) / sigma) ** 2


def normal_pdf(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    return np.exp(normal_logpdf(x, mu, sigma))


def kl_normal(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> np.ndarray:
    """KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) in nats — the chapter's closed form (box after eq. 1.4.13).

    Written as ½(r − 1 − log r) + (μ₁ − μ₂)²/(2σ₂²) with r = σ₁²/σ₂², whose first part is
    ≥ 0 term by term, so rounding cannot make the result negative.
    """
    mu1, sigma1 = np.asarray(mu1, float), np.asarray(sigma1, float)
    mu2, sigma2 = np.asarray(mu2, float), np.asarray(sigma2, float)
    log_r = 2.0 * (np.log(sigma1) - np.log(sigma2))
    scale_part = 0.5 * (np.expm1(log_r) - log_r)  # ½(r − 1 − log r), accurate near r = 1
    return scale_part + 0.5 * ((mu1 - mu2) / sigma2) ** 2


def kl_diag_to_standard_normal(mu: ArrayLike, sigma: ArrayLike, axis: int = -1) -> np.ndarray:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²), summed over ``axis``.

    The VAE's prior-matching term (eq. 1.4.12) in closed form; with one dimension it is
    ``kl_normal(μ, σ, 0, 1)``.
    """
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    log_var = 2.0 * np.log(sigma)
    return 0.5 * np.sum(mu**2 + np.expm1(log_var) - log_var, axis=axis)


def kl_integrand(x: ArrayLike, mu1: float, sigma1: float, mu2: float, sigma2: float) -> np.ndarray:
    """p(x) · log(p(x)/q(x)), the integrand of eq. 1.4.11: its signed area is KL(p‖q)."""
    log_p = normal_logpdf(x, mu1, sigma1)
    return np.exp(log_p) * (log_p - normal_logpdf(x, mu2, sigma2))


def kl_quadrature(mu1: float, sigma1: float, mu2: float, sigma2: float) -> tuple[float, float]:
    """KL(p‖q) by adaptive quadrature of eq. 1.4.11 (scipy), as (value, error estimate).

    p is negligible beyond 40 of its standard deviations (p·|log p/q| < 1e-300 there), so
    the integral is taken over μ₁ ± 40σ₁, with p's centre as a breakpoint.
    """
    lo, hi = mu1 - 40.0 * sigma1, mu1 + 40.0 * sigma1
    value, err = integrate.quad(
        kl_integrand,
        lo,
        hi,
        args=(mu1, sigma1, mu2, sigma2),
        points=[mu1],
        limit=200,
        epsabs=1e-12,
        epsrel=1e-10,
    )
    return float(value), float(err)


def kl_monte_carlo(mu1: float, sigma1: float, mu2: float, sigma2: float, n: int, seed: int) -> tuple[float, float]:
    """KL(p‖q) ≈ (1/n) Σ log p(xᵢ)/q(xᵢ), xᵢ ~ p — an unbiased estimate, with its standard error."""
    rng = np.random.default_rng(seed)
    x = mu1 + sigma1 * rng.standard_normal(n)
    log_ratio = normal_logpdf(x, mu1, sigma1) - normal_logpdf(x, mu2, sigma2)
    return float(log_ratio.mean()), float(log_ratio.std(ddof=1) / np.sqrt(n))
