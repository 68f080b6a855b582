"""A linear-Gaussian latent-variable model where every quantity of section 1.4.1 is exact.

    prior       p(z)   = N(0, 1)
    likelihood  p(x|z) = N(w·z, noise²)
    evidence    p(x)   = ∫ p(x, z) dz = N(0, w² + noise²)                       (eq. 1.4.1)
    posterior   p(z|x) = N(w·x / (w² + noise²), noise² / (w² + noise²))     (eq. 1.4.2)

For a variational q(z) = N(m, s²) the ELBO (eq. 1.4.5) splits as in eq. 1.4.12 into a
reconstruction term and a prior-matching KL, both in closed form, and the gap to log p(x)
is exactly KL(q ‖ p(z|x)) (eq. 1.4.10). All values in nats; functions broadcast over numpy
arrays so a whole landscape is one call.

Also here: the exact gradient of the ELBO in (m, log s) and a deterministic gradient-ascent
run that closes the gap (:func:`ascend_elbo`); the importance weights w(z) = p(x, z)/q(z)
whose mean-of-logs is the ELBO and log-of-mean is log p(x) (eqs. 1.4.4–1.4.5), with their
exact spread and seeded Monte Carlo estimates (:func:`weight_estimates`); and a quadrature
check of the three ledger numbers that uses no closed form.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

from vae_core.gaussian import LOG_2PI, kl_normal, normal_logpdf


class Toy(NamedTuple):
    """The ELBO page's linear-Gaussian model and its q: p(z) = N(0,1), p(x|z) = N(w z, noise²), q = N(m, s²)."""

    x: float = 1.5
    w: float = 1.0
    noise: float = 0.5
    m: float = 0.0
    s: float = 1.0


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


# --- optimizing q: gradient ascent on the ELBO (section 1.4.1.2: "maximize the ELBO") ---------


def elbo_gradient(
    x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, log_s: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(∂ELBO/∂m, ∂ELBO/∂log s) for q = N(m, s²), exact, in nats per unit.

    Differentiating reconstruction_term − prior_kl (eq. 1.4.12) gives, with the posterior
    precision P = w²/noise² + 1,

        ∂ELBO/∂m     = w(x − w m)/noise² − m  = P (μ_post − m)
        ∂ELBO/∂log s = 1 − P s²               = 1 − s²/σ_post²

    Both vanish exactly at q = p(z|x), where the ELBO touches log p(x) (eq. 1.4.10). The
    log-scale parameter keeps s > 0 without constraints. Broadcasts over arrays.
    """
    x, w, noise = np.asarray(x, float), np.asarray(w, float), np.asarray(noise, float)
    m, log_s = np.asarray(m, float), np.asarray(log_s, float)
    precision = (w / noise) ** 2 + 1.0
    return w * (x - w * m) / noise**2 - m, 1.0 - precision * np.exp(2.0 * log_s)


class AscentPath(NamedTuple):
    """A gradient-ascent run: arrays of length steps + 1, entry 0 is the starting q."""

    m: np.ndarray
    s: np.ndarray
    elbo: np.ndarray  # nats
    kl: np.ndarray  # KL(q_k ‖ p(z|x)), nats — recorded for display, never used by the optimizer
    step_size: np.ndarray  # the η accepted by the line search (0 for entry 0)


ARMIJO_C = 1e-4  # sufficient-increase constant of the backtracking line search
MAX_HALVINGS = 60
MAX_DIRECTION_NORM = 5.0  # gradient clipping in (m, log s): one step moves them by at most lr·5


def ascend_elbo(
    x: float,
    w: float,
    noise: float,
    m0: float,
    s0: float,
    steps: int = 100,
    lr: float = 0.2,
    natural: bool = True,
) -> AscentPath:
    """Maximize ELBO(q) over q = N(m, s²) by gradient ascent in (m, log s) from q₀ = N(m0, s0²).

    Each step moves along the gradient of :func:`elbo_gradient`; with ``natural=True`` the
    gradient is first scaled by the inverse Fisher information of q in (m, log s),
    diag(s², ½) — the natural gradient, which walks at a similar pace whatever the shape of
    the posterior (plain gradient steps must be tiny when the posterior is narrow, because the
    valley of the landscape is then steep across m and flat along log s). The direction is
    clipped to norm MAX_DIRECTION_NORM (gradient clipping: when q is far wider than the
    posterior, ∂ELBO/∂log s ≈ −s²/σ_post² is huge, and an unclipped step would accept a plunge
    of s to ~1e-11 that still raises the ELBO but takes hundreds of steps to climb back from).
    The step size starts at ``lr`` and is halved until the ELBO rises by at least
    ARMIJO_C·η·(gradient · direction) (backtracking line search), so the ELBO never decreases
    and nothing diverges.

    Fully deterministic: the same arguments give the same path (a shared URL reproduces it).
    θ = (w, noise) and x stay fixed, so log p(x) is constant along the path and every nat the
    ELBO gains is a nat of KL(q ‖ p(z|x)) lost (eq. 1.4.10).
    """
    m, log_s = float(m0), float(np.log(s0))
    value = float(elbo(x, w, noise, m, s0))
    ms, log_ss, values, etas = [m], [log_s], [value], [0.0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(steps):
            g_m, g_log_s = (float(g) for g in elbo_gradient(x, w, noise, m, log_s))
            d_m, d_log_s = (np.exp(2.0 * log_s) * g_m, 0.5 * g_log_s) if natural else (g_m, g_log_s)
            norm = math.hypot(d_m, d_log_s)
            if norm > MAX_DIRECTION_NORM:
                d_m, d_log_s = d_m * MAX_DIRECTION_NORM / norm, d_log_s * MAX_DIRECTION_NORM / norm
            slope = g_m * d_m + g_log_s * d_log_s  # ≥ 0: the ascent rate along the direction
            eta = lr
            for _ in range(MAX_HALVINGS):
                trial_m, trial_log_s = m + eta * d_m, log_s + eta * d_log_s
                trial = float(elbo(x, w, noise, trial_m, np.exp(trial_log_s)))
                if np.isfinite(trial) and trial >= value + ARMIJO_C * eta * slope:
                    m, log_s, value = trial_m, trial_log_s, trial
                    break
                eta *= 0.5
            else:  # at the optimum to machine precision: no step improves the ELBO
                eta = 0.0
            ms.append(m)
            log_ss.append(log_s)
            values.append(value)
            etas.append(eta)
    m_arr, s_arr = np.array(ms), np.exp(np.array(log_ss))
    return AscentPath(m_arr, s_arr, np.array(values), posterior_kl(x, w, noise, m_arr, s_arr), np.array(etas))


# --- the importance weights w(z) = p(x, z)/q(z), z ~ q: Jensen's view of the same numbers ------


def log_weight_sd(x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Exact standard deviation of log w(z) = log p(x, z) − log q(z) under z ~ q (nats).

    log w(z) = log p(x) + log p(z|x) − log q(z) is quadratic in z; with u = z − m ~ N(0, s²)
    and d = m − μ_post,  Var = ½(1 − s²/σ_post²)² + d² s²/σ_post⁴.  The ELBO estimate that
    averages log w over L draws has standard error exactly this / √L. Zero iff q = p(z|x)
    (constant weights). That is not eq. 1.4.13's estimator: it averages log p(x|z) only and
    keeps the KL in closed form, so its standard error is sd(log p(x|z)) / √L.
    """
    post_mean, post_sd = posterior(x, w, noise)
    m, s = np.asarray(m, float), np.asarray(s, float)
    ratio = (s / post_sd) ** 2
    return np.sqrt(0.5 * (1.0 - ratio) ** 2 + ratio * ((m - post_mean) / post_sd) ** 2)


def weight_chi_square(x: ArrayLike, w: ArrayLike, noise: ArrayLike, m: ArrayLike, s: ArrayLike) -> np.ndarray:
    """χ²(p(z|x) ‖ q) = Var_q[w(z)] / p(x)², the relative variance of the weights (dimensionless).

    E_q[(p(z|x)/q(z))²] is a Gaussian integral that converges only when s² > σ_post²/2 (q's
    tails must not be much lighter than the posterior's); otherwise the weights have infinite
    variance and this returns inf. Closed form via the order-2 Rényi divergence:
    log E_q[(p/q)²] = log(s²/(σ_post √(2s² − σ_post²))) + (m − μ_post)²/(2s² − σ_post²).
    It sets the delta-method standard error √(χ²/L) of log-mean-exp and its bias ≈ χ²/(2L).
    """
    post_mean, post_sd = posterior(x, w, noise)
    m, s = np.asarray(m, float), np.asarray(s, float)
    spread = 2.0 * s**2 - post_sd**2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_second = np.log(s**2 / (post_sd * np.sqrt(spread))) + (m - post_mean) ** 2 / spread
        chi2 = np.expm1(log_second)
    return np.where(spread > 0, np.maximum(chi2, 0.0), np.inf)


class WeightEstimates(NamedTuple):
    """Monte Carlo estimates from L draws z_l ~ q of both sides of eq. 1.4.5 (weights: eq. 1.4.4). Nats."""

    log_w: np.ndarray  # (L,) log weights
    elbo: float  # (1/L) Σ log w_l — unbiased for the ELBO
    elbo_se: float  # sample standard deviation of log w / √L
    log_evidence: float  # log (1/L) Σ w_l — consistent for log p(x), biased low (Jensen)
    log_evidence_se: float  # delta method: sd(w)/(√L · mean w)
    ess: float  # effective sample size (Σ w)² / Σ w²


def weight_estimates(x: float, w: float, noise: float, m: float, s: float, L: int, seed: int) -> WeightEstimates:
    """Draw z_l = m + s·ε_l (ε from ``default_rng(seed)``), and estimate both sides of eq. 1.4.5.

    The ELBO estimate averages log w; the evidence estimate takes the log of the average w
    (log-mean-exp, computed stably). By Jensen, E[log mean w] ≤ log E[mean w] = log p(x): the
    second estimate is biased low (by ≈ χ²/(2L), see :func:`weight_chi_square`) — it is the
    IWAE bound, and the ELBO is its L = 1 case. Its ± is a first-order (delta-method) standard
    error, computed from the normalized weights so nothing overflows; it is trustworthy only
    when the weights have finite variance and the ESS is not tiny.
    """
    eps = np.random.default_rng(seed).standard_normal(L)  # (L,)
    log_w = log_weights(m + s * eps, x, w, noise, m, s)  # (L,)
    lme = float(np.logaddexp.reduce(log_w) - np.log(L))
    ratio = np.exp(log_w - lme)  # w_l / mean(w), mean 1
    ddof = 1 if L > 1 else 0
    return WeightEstimates(
        log_w=log_w,
        elbo=float(log_w.mean()),
        elbo_se=float(log_w.std(ddof=ddof) / np.sqrt(L)),
        log_evidence=lme,
        log_evidence_se=float(ratio.std(ddof=ddof) / np.sqrt(L)),
        ess=float(L / np.mean(ratio**2)),
    )


# --- independent checks: the same numbers by quadrature over z ---------------------------------


def quadrature_check(x: float, w: float, noise: float, m: float, s: float) -> dict[str, float]:
    """log p(x), ELBO and KL(q ‖ p(z|x)) by adaptive quadrature over z (scipy), no closed forms.

    log p(x) = log ∫ p(x, z) dz (eq. 1.4.1), with the integrand scaled by its peak so it never
    underflows; ELBO = ∫ q log(p(x, z)/q) dz (eq. 1.4.5); KL from eq. 1.4.11 with the
    posterior p(x, z)/p(x) of eq. 1.4.2. The integrals run over ±40 standard deviations of
    the respective peaks, beyond which the integrands are below double precision.
    """
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    peak = float(log_joint(post_mean, x, w, noise))
    evidence, _ = integrate.quad(
        lambda z: np.exp(log_joint(z, x, w, noise) - peak),
        post_mean - 40 * post_sd,
        post_mean + 40 * post_sd,
        points=[post_mean],
        limit=200,
        epsabs=0.0,
        epsrel=1e-12,
    )
    log_p = peak + float(np.log(evidence))

    def q_expect(g):
        value, _ = integrate.quad(
            lambda z: np.exp(normal_logpdf(z, m, s)) * g(z),
            m - 40 * s,
            m + 40 * s,
            points=[m],
            limit=200,
            epsabs=1e-13,
            epsrel=1e-11,
        )
        return float(value)

    lower = q_expect(lambda z: log_joint(z, x, w, noise) - normal_logpdf(z, m, s))
    gap = q_expect(lambda z: normal_logpdf(z, m, s) - (log_joint(z, x, w, noise) - log_p))
    return {"log_evidence": log_p, "elbo": lower, "posterior_kl": gap}
