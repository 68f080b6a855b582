"""A linear-Gaussian latent-variable model where every quantity of section 1.4.1 is exact.

    prior       p(z)   = N(0, 1)
    likelihood  p(x|z) = N(w·z, noise²)
    evidence    p(x)   = ∫ p(x, z) dz = N(0, w² + noise²)                       (eq. 1.4.1)
    posterior   p(z|x) = N(w·x / (w² + noise²), noise² / (w² + noise²))     (eq. 1.4.2)

For a variational q(z) = N(m, s²) the ELBO (eq. 1.4.5) splits as in eq. 1.4.12 into a
reconstruction term and a prior-matching KL, both in closed form, and the gap to log p(x)
is exactly KL(q ‖ p(z|x)) (eq. 1.4.10). All values in nats; functions broadcast over numpy
arrays so a whole landscape is one call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from vae_core.gaussian import LOG_2PI, kl_normal, normal_logpdf


def log_evidence(x: ArrayLike, w: ArrayLike, noise: ArrayLike) -> np.ndarray:
    """log p(x) = log N(x; 0, w² + noise²) — the evidence, exact (eq. 1.4.1)."""
    return normal_logpdf(x, 0.0, np.sqrt(np.asarray(w, float) ** 2 + np.asarray(noise, float) ** 2))


def posterior(x: ArrayLike, w: ArrayLike, noise: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(mean, standard deviation) of the true posterior p(z|x)."""
    w, noise = np.asarray(w, float), np.asarray(noise, float)
    total = w**2 + noise**2
    return w * np.asarray(x, float) / total, noise / np.sqrt(total)


def log_joint(z: ArrayLike, x: ArrayLike, w: ArrayLike, noise: ArrayLike) -> np.ndarray:
    """log p(x, z) = log p(z) + log p(x|z)."""
    z = np.asarray(z, float)
    return normal_logpdf(z, 0.0, 1.0) + normal_logpdf(x, np.asarray(w, float) * z, noise)


def reconstruction_term(x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """E_q[log p(x|z)] for q = N(m, s²), exact: −½log(2π noise²) − ((x − w m)² + w² s²) / (2 noise²).

    The first term of eq. 1.4.12 (what eq. 1.4.13 estimates by Monte Carlo).
    """
    x, w, noise = np.asarray(x, float), np.asarray(w, float), np.asarray(noise, float)
    m, s = np.asarray(m, float), np.asarray(s, float)
    return -0.5 * LOG_2PI - np.log(noise) - ((x - w * m) ** 2 + (w * s) ** 2) / (2.0 * noise**2)


def prior_kl(m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """KL(q ‖ p(z)) for q = N(m, s²) and the prior N(0, 1) — eq. 1.4.12's prior-matching term."""
    return kl_normal(m, s, 0.0, 1.0)


def elbo(x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """ELBO(q) = E_q[log p(x, z) − log q(z)] = reconstruction − KL(q ‖ p(z))  (eqs. 1.4.5, 1.4.12)."""
    return reconstruction_term(x, w, noise, m, s) - prior_kl(m, s)


def posterior_kl(x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """KL(q ‖ p(z|x)) — the gap log p(x) − ELBO(q) of eq. 1.4.10, computed on its own."""
    post_mean, post_sd = posterior(x, w, noise)
    return kl_normal(m, s, post_mean, post_sd)


def log_weights(z: ArrayLike, x: float, w: float, noise: float, m: float, s: float) -> np.ndarray:
    """log p(x, z) − log q(z): the ratio inside eqs. 1.4.4–1.4.5.

    Its average over z ~ q is the ELBO; the log of the average of its exponential is log p(x).
    """
    return log_joint(z, x, w, noise) - normal_logpdf(z, m, s)
