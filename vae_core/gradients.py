"""Gradients of an expectation E_{z~q}[f(z)], q = N(μ, σ²): pathwise vs score function.

Eq. 1.4.13 estimates the reconstruction term E_q[log p_θ(x|z)] by sampling; training needs its
gradient with respect to the encoder's μ and σ, yet the samples themselves depend on μ and σ.
Two unbiased ways out (Mohamed, Rosca, Figurnov & Mnih, JMLR 2020, "Monte Carlo Gradient
Estimation in Machine Learning", §4–§5), for z = μ + σε, ε ~ N(0, 1):

- pathwise / reparameterization (section 1.4.2.2 of the chapter): differentiate through the
  sample, ∂z/∂μ = 1 and ∂z/∂σ = ε, so
      ∂/∂μ E_q[f] = E[f'(z)],          ∂/∂σ E_q[f] = E[f'(z) ε];
- score function (REINFORCE): differentiate the density, ∇ log q(z) = (ε/σ, (ε² − 1)/σ), so
      ∂/∂μ E_q[f] = E[f(z) ε/σ],       ∂/∂σ E_q[f] = E[f(z)(ε² − 1)/σ],
  optionally with a baseline b subtracted from f (unbiased because E[∇ log q] = 0).

Both are averages of L per-sample terms; the estimator's variance is (per-sample variance)/L.
Which per-sample variance is smaller depends on f (Mohamed et al. §3, Fig. 2): for a smooth f
such as (z − k)² the pathwise one always wins, for a quickly oscillating or sharply peaked f
(cos kz, exp(−kz²) with large k) the score function can win. Everything here is exact where
the math allows: E_q[f], its gradient and both estimators' per-sample variances are closed
forms (Gaussian integrals of polynomial × exp(−az² + ibz)); only the sampled estimates are
Monte Carlo. Gradients of E_q[f] are in units of f per unit of μ or σ (nats for log p(x|z)).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

FUNCTIONS = ("quad", "cos", "gauss")  # (z − k)², cos(kz), exp(−kz²)
ESTIMATORS = ("pathwise", "score", "baseline")


# --- the test functions f(z; k) -------------------------------------------------------------
def f_value(kind: str, z: ArrayLike, k: ArrayLike) -> np.ndarray:
    """f(z; k): ``quad`` (z − k)², ``cos`` cos(kz), ``gauss`` exp(−kz²) (Mohamed et al., Fig. 2)."""
    z, k = np.asarray(z, float), np.asarray(k, float)
    if kind == "quad":
        return (z - k) ** 2
    if kind == "cos":
        return np.cos(k * z)
    if kind == "gauss":
        return np.exp(-k * z**2)
    raise ValueError(f"unknown f {kind!r}; choose one of {FUNCTIONS}")


def f_derivative(kind: str, z: ArrayLike, k: ArrayLike) -> np.ndarray:
    """f'(z; k) = df/dz, what the pathwise estimator evaluates at each sample."""
    z, k = np.asarray(z, float), np.asarray(k, float)
    if kind == "quad":
        return 2.0 * (z - k)
    if kind == "cos":
        return -k * np.sin(k * z)
    if kind == "gauss":
        return -2.0 * k * z * np.exp(-k * z**2)
    raise ValueError(f"unknown f {kind!r}; choose one of {FUNCTIONS}")


def expectation(kind: str, mu: ArrayLike, sigma: ArrayLike, k: ArrayLike) -> np.ndarray:
    """E_{z~N(μ,σ²)}[f(z; k)] in closed form (the quantity eq. 1.4.13 would estimate by sampling)."""
    mu, sigma, k = (np.asarray(a, float) for a in (mu, sigma, k))
    if kind == "quad":
        return (mu - k) ** 2 + sigma**2
    if kind == "cos":
        return np.cos(k * mu) * np.exp(-0.5 * (k * sigma) ** 2)
    if kind == "gauss":
        s = 1.0 + 2.0 * k * sigma**2
        return np.exp(-k * mu**2 / s) / np.sqrt(s)
    raise ValueError(f"unknown f {kind!r}; choose one of {FUNCTIONS}")


def exact_gradient(kind: str, mu: ArrayLike, sigma: ArrayLike, k: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂μ, ∂/∂σ) of E_{N(μ,σ²)}[f(z; k)], differentiated by hand from :func:`expectation`."""
    mu, sigma, k = (np.asarray(a, float) for a in (mu, sigma, k))
    if kind == "quad":
        return 2.0 * (mu - k), 2.0 * sigma + 0.0 * mu
    if kind == "cos":
        damp = np.exp(-0.5 * (k * sigma) ** 2)
        return -k * np.sin(k * mu) * damp, -(k**2) * sigma * np.cos(k * mu) * damp
    if kind == "gauss":
        s = 1.0 + 2.0 * k * sigma**2
        value = np.exp(-k * mu**2 / s) / np.sqrt(s)
        return -2.0 * k * mu / s * value, value * 2.0 * k * sigma * (2.0 * k * mu**2 - s) / s**2
    raise ValueError(f"unknown f {kind!r}; choose one of {FUNCTIONS}")


# --- per-sample terms of the two estimators --------------------------------------------------
def pathwise_terms(kind: str, mu: float, sigma: float, k: float, eps: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample pathwise gradients at z = μ + σε: (f'(z), f'(z)·ε), each shaped like ``eps``."""
    eps = np.asarray(eps, float)
    slope = f_derivative(kind, mu + sigma * eps, k)
    return slope, slope * eps


def score_terms(
    kind: str, mu: float, sigma: float, k: float, eps: ArrayLike, baseline: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample score-function gradients: ((f(z) − b)·ε/σ, (f(z) − b)·(ε² − 1)/σ).

    ε/σ = ∂/∂μ log N(z; μ, σ²) and (ε² − 1)/σ = ∂/∂σ log N(z; μ, σ²) at z = μ + σε.
    """
    eps = np.asarray(eps, float)
    centred = f_value(kind, mu + sigma * eps, k) - baseline
    return centred * eps / sigma, centred * (eps**2 - 1.0) / sigma


# --- exact Gaussian integrals ---------------------------------------------------------------
@dataclass(frozen=True)
class _Term:
    """Re[ P(ε) · exp(−a z² + i b z) ] with z = μ + σε and P(ε) = Σ_j coeffs[j] εʲ."""

    a: ArrayLike
    b: ArrayLike
    coeffs: tuple


def _poly_mul(p: tuple, q: tuple) -> tuple:
    out = [0.0] * (len(p) + len(q) - 1)
    for i, pi in enumerate(p):
        for j, qj in enumerate(q):
            out[i + j] = out[i + j] + pi * qj
    return tuple(out)


def _product(s: _Term, t: _Term) -> list[_Term]:
    """Re(A)·Re(B) = ½ Re(A·B) + ½ Re(A·conj B): the product of two terms as two terms."""
    conj = tuple(np.conj(c) for c in t.coeffs)
    same = tuple(0.5 * c for c in _poly_mul(s.coeffs, t.coeffs))
    mixed = tuple(0.5 * c for c in _poly_mul(s.coeffs, conj))
    return [_Term(s.a + t.a, s.b + t.b, same), _Term(s.a + t.a, s.b - t.b, mixed)]


def _expect(terms: list[_Term], mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """E_{ε~N(0,1)}[Σ terms] exactly.

    exp(−a z² + i b z) times the N(0, 1) density is √v·exp(vβ²/2 + γ)·N(ε; m, v) with
    v = 1/(1 + 2aσ²), β = σ(ib − 2aμ), γ = ibμ − aμ², m = vβ; the polynomial's expectation
    under N(m, v) is Σ_n c_n E[εⁿ], E[εⁿ] = Σ_{j even} C(n, j) m^{n−j} v^{j/2} (j − 1)!!.
    """
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    total = 0.0
    for term in terms:
        a, b = np.asarray(term.a, float), np.asarray(term.b, float)
        v = 1.0 / (1.0 + 2.0 * a * sigma**2)
        beta = sigma * (1j * b - 2.0 * a * mu)
        m = v * beta
        log_scale = 0.5 * np.log(v) + 0.5 * v * beta**2 + 1j * b * mu - a * mu**2
        poly_mean = 0.0
        for n, c in enumerate(term.coeffs):
            moment = sum(
                comb(n, j) * m ** (n - j) * v ** (j // 2) * _double_factorial(j - 1) for j in range(0, n + 1, 2)
            )
            poly_mean = poly_mean + c * moment
        total = total + np.real(np.exp(log_scale) * poly_mean)
    return np.asarray(total, float)


def _double_factorial(n: int) -> int:
    return 1 if n <= 0 else n * _double_factorial(n - 2)


def _f_terms(kind: str, mu, sigma, k) -> tuple[_Term, _Term]:
    """(f, f') as terms in ε, with z = μ + σε."""
    zero = 0.0 * (np.asarray(mu, float) + np.asarray(sigma, float) + np.asarray(k, float))
    mu, sigma, k = mu + zero, sigma + zero, k + zero
    if kind == "quad":
        d = mu - k
        return _Term(zero, zero, (d**2, 2 * d * sigma, sigma**2)), _Term(zero, zero, (2 * d, 2 * sigma))
    if kind == "cos":  # cos kz = Re e^{ikz};  −k sin kz = Re(ik e^{ikz})
        return _Term(zero, k, (1.0 + zero,)), _Term(zero, k, (1j * k,))
    if kind == "gauss":
        return _Term(k, zero, (1.0 + zero,)), _Term(k, zero, (-2 * k * mu, -2 * k * sigma))
    raise ValueError(f"unknown f {kind!r}; choose one of {FUNCTIONS}")


EPS2 = (0.0, 0.0, 1.0)  # ε²
EPS2_MINUS_1_SQ = (1.0, 0.0, -2.0, 0.0, 1.0)  # (ε² − 1)²


def _times(terms: list[_Term], poly: tuple) -> list[_Term]:
    return [_Term(t.a, t.b, _poly_mul(t.coeffs, poly)) for t in terms]


@dataclass(frozen=True)
class PerSampleVariances:
    """Exact variance of ONE sample's gradient term, for ∂/∂μ and ∂/∂σ (units of f², per μ² or σ²).

    ``baseline`` is the score function with b = E_q[f], the limit of a running-mean baseline.
    The variance of an L-sample estimator is these divided by L.
    """

    pathwise_mu: np.ndarray
    pathwise_sigma: np.ndarray
    score_mu: np.ndarray
    score_sigma: np.ndarray
    baseline_mu: np.ndarray
    baseline_sigma: np.ndarray

    def get(self, estimator: str, wrt: str) -> np.ndarray:
        return getattr(self, f"{estimator}_{wrt}")


def per_sample_variances(kind: str, mu: ArrayLike, sigma: ArrayLike, k: ArrayLike) -> PerSampleVariances:
    """Exact per-sample variances of the pathwise, score-function and baselined estimators.

    Second moments E[f'²], E[f'²ε²], E[f²ε²]/σ², E[f²(ε² − 1)²]/σ² (and the cross terms of the
    baseline) are Gaussian integrals done in closed form by ``_expect``; the means are the
    exact gradient. Broadcasts over μ, σ, k (e.g. a whole grid of k at once).
    """
    mu, sigma, k = (np.asarray(a, float) for a in (mu, sigma, k))
    f, df = _f_terms(kind, mu, sigma, k)
    f2, df2 = _product(f, f), _product(df, df)
    g_mu, g_sigma = exact_gradient(kind, mu, sigma, k)
    mean_f = expectation(kind, mu, sigma, k)

    def var(second, mean):
        return np.maximum(second - mean**2, 0.0)

    f2_e2 = _expect(_times(f2, EPS2), mu, sigma)
    f2_q = _expect(_times(f2, EPS2_MINUS_1_SQ), mu, sigma)
    f_e2 = _expect(_times([f], EPS2), mu, sigma)
    f_q = _expect(_times([f], EPS2_MINUS_1_SQ), mu, sigma)
    # (f − b)² s² = f²s² − 2b f s² + b² s², with E[ε²] = 1 and E[(ε² − 1)²] = 2
    base_mu = f2_e2 - 2 * mean_f * f_e2 + mean_f**2
    base_sigma = f2_q - 2 * mean_f * f_q + 2 * mean_f**2
    return PerSampleVariances(
        pathwise_mu=var(_expect(df2, mu, sigma), g_mu),
        pathwise_sigma=var(_expect(_times(df2, EPS2), mu, sigma), g_sigma),
        score_mu=var(f2_e2 / sigma**2, g_mu),
        score_sigma=var(f2_q / sigma**2, g_sigma),
        baseline_mu=var(base_mu / sigma**2, g_mu),
        baseline_sigma=var(base_sigma / sigma**2, g_sigma),
    )


def variance_ratio(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """numerator / denominator of two variances, kept finite: 0/0 → 1, x/0 → 1e300."""
    num, den = np.asarray(numerator, float), np.asarray(denominator, float)
    tiny = np.finfo(float).tiny
    return np.where(den > tiny, num / np.maximum(den, tiny), np.where(num > tiny, 1e300, 1.0))


# --- sampled estimates ----------------------------------------------------------------------
def sample_counts(max_count: int, n_points: int = 60) -> np.ndarray:
    """Log-spaced sample counts 1 … max_count (unique integers) at which running means are shown."""
    return np.unique(np.round(np.geomspace(1, max_count, n_points)).astype(int))


def running_estimates(
    kind: str, mu: float, sigma: float, k: float, counts: ArrayLike, runs: int, seed: int
) -> dict[str, np.ndarray]:
    """Gradient estimates from the first L samples of ``runs`` independent runs, for each L in ``counts``.

    Returns estimator → array (runs, len(counts), 2), the last axis (∂/∂μ, ∂/∂σ). All three
    estimators use the same ε (common random numbers). ``baseline`` uses the leave-one-out
    baseline bᵢ = mean of f over the other L − 1 samples, which keeps it unbiased; the average
    then equals the sample covariance of f(z) and the score, (A − S·T/L)/(L − 1), and is NaN at L = 1.
    """
    counts = np.asarray(counts, int)
    eps = np.random.default_rng(seed).standard_normal((runs, int(counts.max())))
    size = counts.astype(float)
    out = {}
    for name, (g_mu, g_sigma) in (
        ("pathwise", pathwise_terms(kind, mu, sigma, k, eps)),
        ("score", score_terms(kind, mu, sigma, k, eps)),
    ):
        means = [np.cumsum(g, axis=1)[:, counts - 1] / size for g in (g_mu, g_sigma)]
        out[name] = np.stack(means, axis=-1)
    fz = np.cumsum(f_value(kind, mu + sigma * eps, k), axis=1)[:, counts - 1]  # S_L
    loo = []
    for score in (eps / sigma, (eps**2 - 1.0) / sigma):
        cross = np.cumsum(f_value(kind, mu + sigma * eps, k) * score, axis=1)[:, counts - 1]  # A_L
        total = np.cumsum(score, axis=1)[:, counts - 1]  # T_L
        with np.errstate(invalid="ignore", divide="ignore"):
            loo.append(np.where(size > 1, (cross - fz * total / size) / (size - 1.0), np.nan))
    out["baseline"] = np.stack(loo, axis=-1)
    return out


def monte_carlo_check(kind: str, mu: float, sigma: float, k: float, n: int, seed: int) -> dict[str, dict]:
    """Each estimator with n samples: mean ± standard error, and the sampled per-sample variance ± s.e.

    Returns estimator → {"mu": (mean, se, var, var_se), "sigma": (...)} — the page's check that the
    closed forms above are right. The baseline uses b = E_q[f] (closed form), matching
    :func:`per_sample_variances`. The s.e. of a sample variance is std((g − ḡ)²)/√n.
    """
    eps = np.random.default_rng(seed).standard_normal(n)
    b = float(expectation(kind, mu, sigma, k))
    terms = {
        "pathwise": pathwise_terms(kind, mu, sigma, k, eps),
        "score": score_terms(kind, mu, sigma, k, eps),
        "baseline": score_terms(kind, mu, sigma, k, eps, baseline=b),
    }
    out = {}
    for name, (g_mu, g_sigma) in terms.items():
        out[name] = {}
        for wrt, g in (("mu", g_mu), ("sigma", g_sigma)):
            dev2 = (g - g.mean()) ** 2
            out[name][wrt] = (
                float(g.mean()),
                float(g.std(ddof=1) / np.sqrt(n)),
                float(g.var(ddof=1)),
                float(dev2.std(ddof=1) / np.sqrt(n)),
            )
    return out


def quadrature_gradient(kind: str, mu: float, sigma: float, k: float, h: float = 1e-4) -> tuple[float, float]:
    """(∂/∂μ, ∂/∂σ) of E_q[f] by central finite differences of a scipy quadrature of E_q[f].

    Independent of the closed forms: ∫ f(μ + σε) φ(ε) dε over ε ∈ [−12, 12] (φ < 1e-31 beyond),
    with breakpoints where f is sharp. Accurate to about 1e-8.
    """

    def value(m: float, s: float) -> float:
        def integrand(e):
            return f_value(kind, m + s * e, k) * np.exp(-0.5 * e * e) / np.sqrt(2 * np.pi)

        points = sorted({0.0, float(np.clip(-m / s, -12, 12)), float(np.clip((k - m) / s, -12, 12))})
        return integrate.quad(integrand, -12.0, 12.0, points=points, limit=800, epsabs=1e-13, epsrel=1e-12)[0]

    d_mu = (value(mu + h, sigma) - value(mu - h, sigma)) / (2 * h)
    d_sigma = (value(mu, sigma + h) - value(mu, sigma - h)) / (2 * h)
    return float(d_mu), float(d_sigma)


# --- the same comparison on the pretrained VAE's reconstruction term ------------------------
@dataclass(frozen=True)
class VaeGradientSamples:
    """Per-sample gradients of log p_θ(x|z), z = μ_φ(x) + σ_φ(x) ⊙ ε, for one image x.

    mu, sigma: (D_z,) encoder outputs; log_px: (N,) log p_θ(x|z) in nats; pathwise_mu/sigma,
    score_mu/sigma, baseline_mu/sigma: (N, D_z) per-sample estimates of ∂/∂μⱼ, ∂/∂σⱼ of
    E_q[log p_θ(x|z)] (the reconstruction term of eq. 1.4.12), in nats per unit of μⱼ or σⱼ.
    """

    mu: np.ndarray
    sigma: np.ndarray
    log_px: np.ndarray
    pathwise_mu: np.ndarray
    pathwise_sigma: np.ndarray
    score_mu: np.ndarray
    score_sigma: np.ndarray
    baseline_mu: np.ndarray
    baseline_sigma: np.ndarray


def vae_gradient_samples(model, x: ArrayLike, n_samples: int, seed: int) -> VaeGradientSamples:
    """Pathwise (torch autograd through the decoder) and score-function gradient samples.

    ``model`` has ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits`` (vae_core.model.VAE);
    ``x`` is one binary image (D_x,). Pathwise: ∂/∂μ and ∂/∂σ of log p_θ(x | μ + σ⊙ε) for each
    ε by backpropagation (each sample gets its own copy of μ, σ). Score function: log p_θ(x|z)
    times ε/σ and (ε² − 1)/σ. Baseline: log p_θ(x|z) minus the mean over the other N − 1 samples
    (leave-one-out, unbiased). A served :class:`vae_core.np_vae.NumpyVAE` takes the same steps in
    numpy (its decoder's backpropagation by hand, torch's seeded draws); a torch model imports torch
    here, not at module import.
    """
    from vae_core.np_vae import NumpyVAE

    if isinstance(model, NumpyVAE):
        return _numpy_vae_gradient_samples(model, x, n_samples, seed)
    import torch
    import torch.nn.functional as F

    param = next(model.parameters())
    x_t = torch.as_tensor(np.asarray(x), dtype=param.dtype, device=param.device).reshape(1, -1)  # (1, D_x)
    with torch.no_grad():
        mu, logvar = model.encode(x_t)  # (1, D_z)
    sigma = torch.exp(0.5 * logvar)
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    eps = torch.randn((n_samples, mu.shape[1]), generator=generator, dtype=param.dtype).to(param.device)
    mu_each = mu.expand(n_samples, -1).clone().requires_grad_(True)  # (N, D_z)
    sigma_each = sigma.expand(n_samples, -1).clone().requires_grad_(True)
    logits = model.decode(mu_each + sigma_each * eps)  # (N, D_x)
    log_px = (x_t * logits - F.softplus(logits)).sum(dim=-1)  # (N,) Bernoulli log p_θ(x|z), nats
    grad_mu, grad_sigma = torch.autograd.grad(log_px.sum(), (mu_each, sigma_each))
    log_px = log_px.detach()
    loo = log_px - (log_px.sum() - log_px) / (n_samples - 1)  # (N,) f − b₋ᵢ
    score_mu, score_sigma = eps / sigma, (eps**2 - 1.0) / sigma  # ∇ log q, (N, D_z)

    def cpu(t):
        return t.detach().double().cpu().numpy()

    return VaeGradientSamples(
        mu=cpu(mu[0]),
        sigma=cpu(sigma[0]),
        log_px=cpu(log_px),
        pathwise_mu=cpu(grad_mu),
        pathwise_sigma=cpu(grad_sigma),
        score_mu=cpu(log_px[:, None] * score_mu),
        score_sigma=cpu(log_px[:, None] * score_sigma),
        baseline_mu=cpu(loo[:, None] * score_mu),
        baseline_sigma=cpu(loo[:, None] * score_sigma),
    )


def _numpy_vae_gradient_samples(model, x: ArrayLike, n_samples: int, seed: int) -> VaeGradientSamples:
    """:func:`vae_gradient_samples` for a NumpyVAE: the same draws, the same numbers (float tolerance)."""
    from vae_core.np_vae import TorchCPUGenerator

    x = np.asarray(x, dtype=model.dtype).reshape(1, -1)
    mu, logvar = model.encode(x)  # (1, D_z)
    sigma = np.exp(0.5 * logvar)
    eps = TorchCPUGenerator(seed).randn((n_samples, mu.shape[1]), model.dtype)
    log_px, grad_z = model.decoder_gradient(mu + sigma * eps, x[0])  # (N,), (N, D_z)
    loo = log_px - (log_px.sum() - log_px) / (n_samples - 1)  # (N,) f − b₋ᵢ
    score_mu, score_sigma = eps / sigma, (eps**2 - 1.0) / sigma  # ∇ log q, (N, D_z)

    def f64(a):
        return np.asarray(a, dtype=np.float64)

    return VaeGradientSamples(
        mu=f64(mu[0]),
        sigma=f64(sigma[0]),
        log_px=f64(log_px),
        pathwise_mu=f64(grad_z),
        pathwise_sigma=f64(grad_z * eps),
        score_mu=f64(log_px[:, None] * score_mu),
        score_sigma=f64(log_px[:, None] * score_sigma),
        baseline_mu=f64(loo[:, None] * score_mu),
        baseline_sigma=f64(loo[:, None] * score_sigma),
    )


def sample_variance_with_se(g: ArrayLike, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample variance of per-sample gradients along ``axis`` and its standard error std((g − ḡ)²)/√n."""
    g = np.asarray(g, float)
    n = g.shape[axis]
    dev2 = (g - g.mean(axis=axis, keepdims=True)) ** 2
    return dev2.sum(axis=axis) / (n - 1), dev2.std(axis=axis, ddof=1) / np.sqrt(n)


def ratio_with_se(num: float, num_se: float, den: float, den_se: float) -> tuple[float, float]:
    """num/den and its delta-method standard error (treating the two estimates as independent)."""
    ratio = float(variance_ratio(num, den))
    rel = np.hypot(num_se / max(num, np.finfo(float).tiny), den_se / max(den, np.finfo(float).tiny))
    return ratio, float(ratio * rel)
