"""Jensen's inequality on simple distributions, with exact numbers (the box before 1.4.1.2, eq. 1.4.5).

For a convex f (x², −log x: the graph bends upwards, "下凸") and any distribution of X,

    f(E[X]) ≤ E[f(X)],            e.g. f(λx₁ + (1 − λ)x₂) ≤ λf(x₁) + (1 − λ)f(x₂),

which is the form the chapter's box states. For a concave f (log x, √x) every inequality
flips: f(E[X]) ≥ E[f(X)]. Eq. 1.4.5 uses the concave case, log E_q[w] ≥ E_q[log w], which is
the convex statement applied to −log. The *gap* |E[f(X)] − f(E[X])| ≥ 0 is zero exactly when X
is constant (or f is linear where X lives).

Two distributions of X > 0, both with closed forms for every f offered:

    two-point   X = x₁ with probability λ, x₂ with probability 1 − λ
    log-normal  X = e^Y, Y ~ N(0, σ²):  E[X] = e^{σ²/2}, E[log X] = 0, E[X²] = e^{2σ²},
                E[√X] = e^{σ²/8}.  For f = log the gap is exactly σ²/2 nats — the same
                number as KL(q ‖ p(z|x)) when the ELBO's weights are log-normal (see toy_model).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

# name → (f, f″ sign): +1 convex, −1 concave on x > 0
CURVATURE = {"log": -1, "sqrt": -1, "neglog": +1, "square": +1}
FUNCTIONS = tuple(CURVATURE)
DISTRIBUTIONS = ("two", "lognormal")


def f_values(name: str, x: ArrayLike) -> np.ndarray:
    """f(x) for x > 0, f one of FUNCTIONS: log x, √x, −log x, x²."""
    x = np.asarray(x, float)
    if name == "log":
        return np.log(x)
    if name == "sqrt":
        return np.sqrt(x)
    if name == "neglog":
        return -np.log(x)
    if name == "square":
        return x**2
    raise ValueError(f"unknown function {name!r}; choose from {FUNCTIONS}")


def is_convex(name: str) -> bool:
    """True for convex f (f″ > 0: Jensen reads f(E X) ≤ E f(X)); False for concave f."""
    return CURVATURE[name] > 0


class Jensen(NamedTuple):
    """Both sides of Jensen's inequality for one f and one distribution of X."""

    mean: float  # E[X]
    f_of_mean: float  # f(E[X])
    mean_of_f: float  # E[f(X)]

    @property
    def gap(self) -> float:
        """|E[f(X)] − f(E[X])| ≥ 0 (positive for any non-constant X and strictly curved f)."""
        return abs(self.mean_of_f - self.f_of_mean)


def two_point(name: str, x1: float, x2: float, lam: float) -> Jensen:
    """X = x₁ w.p. λ, x₂ w.p. 1 − λ: f(λx₁ + (1−λ)x₂) against λf(x₁) + (1−λ)f(x₂) — the box's n = 2."""
    mean = lam * x1 + (1.0 - lam) * x2
    mean_of_f = lam * float(f_values(name, x1)) + (1.0 - lam) * float(f_values(name, x2))
    return Jensen(mean, float(f_values(name, mean)), mean_of_f)


def lognormal(name: str, sigma: float) -> Jensen:
    """X = e^Y, Y ~ N(0, σ²): E[X] = e^{σ²/2} and E[f(X)] in closed form (moments e^{kY})."""
    var = sigma**2
    mean = float(np.exp(var / 2))
    mean_of_f = {"log": 0.0, "neglog": 0.0, "square": float(np.exp(2 * var)), "sqrt": float(np.exp(var / 8))}[name]
    return Jensen(mean, float(f_values(name, mean)), mean_of_f)


def lognormal_pdf(x: ArrayLike, sigma: float) -> np.ndarray:
    """Density of X = e^Y, Y ~ N(0, σ²), for x > 0 (zero elsewhere)."""
    x = np.asarray(x, float)
    positive = x > 0
    safe = np.where(positive, x, 1.0)
    density = np.exp(-0.5 * (np.log(safe) / sigma) ** 2) / (safe * sigma * np.sqrt(2 * np.pi))
    return np.where(positive, density, 0.0)


def lognormal_quantile(p: ArrayLike, sigma: float) -> np.ndarray:
    """Quantiles of X = e^Y, Y ~ N(0, σ²) (for plot windows)."""
    return np.exp(sigma * ndtri(np.asarray(p, float)))
