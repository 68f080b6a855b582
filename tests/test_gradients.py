"""vae_core.gradients against independent oracles: scipy quadrature, finite differences,
Monte Carlo over many seeds, bounds derived by hand, and torch autograd vs an analytic decoder."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from vae_core.gradients import (
    FUNCTIONS,
    exact_gradient,
    expectation,
    f_derivative,
    f_value,
    monte_carlo_check,
    pathwise_terms,
    per_sample_variances,
    quadrature_gradient,
    ratio_with_se,
    running_estimates,
    sample_counts,
    sample_variance_with_se,
    score_terms,
    vae_gradient_samples,
    variance_ratio,
)

# The page's slider ranges.
mus = st.floats(-3.0, 3.0, allow_nan=False)
sigmas = st.floats(0.1, 3.0, allow_nan=False)
ks = st.floats(0.1, 10.0, allow_nan=False)
kinds = st.sampled_from(FUNCTIONS)

CASES = [
    ("quad", 1.0, 1.0, 3.0),
    ("quad", -2.0, 0.3, 7.0),
    ("cos", 1.0, 1.0, 0.5),
    ("cos", -0.5, 0.3, 8.0),
    ("gauss", 1.0, 1.0, 3.0),
    ("gauss", 2.5, 2.5, 0.2),
    ("gauss", 0.2, 0.4, 10.0),
]
PHI = 1.0 / math.sqrt(2.0 * math.pi)


def gauss_quad(g, mu, sigma, k):
    """∫ g(ε) φ(ε) dε by adaptive quadrature, breakpoints where f is sharp (at z = 0 and z = k)."""
    points = sorted({0.0, float(np.clip(-mu / sigma, -11, 11)), float(np.clip((k - mu) / sigma, -11, 11))})
    with warnings.catch_warnings():  # scipy's round-off notice at ~1e-14; the asserted tolerances are far wider
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(
            lambda e: g(e) * PHI * math.exp(-0.5 * e * e),
            -12.0,
            12.0,
            points=points,
            limit=1000,
            epsabs=1e-14,
            epsrel=1e-11,
        )
    return value


def oracle_expectation(kind, mu, sigma, k):
    return gauss_quad(lambda e: float(f_value(kind, mu + sigma * e, k)), mu, sigma, k)


@pytest.mark.parametrize("case", CASES)
def test_expectation_matches_quadrature(case):
    kind, mu, sigma, k = case
    assert float(expectation(*case)) == pytest.approx(oracle_expectation(kind, mu, sigma, k), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_exact_gradient_matches_finite_differences_of_quadrature(case):
    kind, mu, sigma, k = case
    h = 1e-4
    fd_mu = (oracle_expectation(kind, mu + h, sigma, k) - oracle_expectation(kind, mu - h, sigma, k)) / (2 * h)
    fd_sigma = (oracle_expectation(kind, mu, sigma + h, k) - oracle_expectation(kind, mu, sigma - h, k)) / (2 * h)
    d_mu, d_sigma = exact_gradient(*case)
    tol = 1e-6 * max(1.0, k**2)  # O(h²) truncation scales with the third derivative
    assert float(d_mu) == pytest.approx(fd_mu, abs=tol)
    assert float(d_sigma) == pytest.approx(fd_sigma, abs=tol)
    # the page's own quadrature check agrees as well
    q_mu, q_sigma = quadrature_gradient(*case)
    assert (q_mu, q_sigma) == pytest.approx((float(d_mu), float(d_sigma)), abs=tol)


@settings(max_examples=30, deadline=None)
@given(kinds, mus, sigmas, ks)
def test_exact_gradient_is_the_mean_of_both_per_sample_terms(kind, mu, sigma, k):
    """Both estimators' per-sample terms integrate (quadrature) to the closed-form gradient."""
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    scale = 1e-7 * max(1.0, k**2 / sigma)
    for terms in (pathwise_terms, score_terms):
        m_mu = gauss_quad(lambda e, t=terms: float(t(kind, mu, sigma, k, e)[0]), mu, sigma, k)
        m_sigma = gauss_quad(lambda e, t=terms: float(t(kind, mu, sigma, k, e)[1]), mu, sigma, k)
        assert m_mu == pytest.approx(d_mu, abs=scale)
        assert m_sigma == pytest.approx(d_sigma, abs=scale)


def oracle_variance(g, mu, sigma, k):
    mean = gauss_quad(g, mu, sigma, k)
    return gauss_quad(lambda e: (g(e) - mean) ** 2, mu, sigma, k)


def oracle_variances(kind, mu, sigma, k):
    b = float(expectation(kind, mu, sigma, k))
    out = {}
    for name, terms, kwargs in (
        ("pathwise", pathwise_terms, {}),
        ("score", score_terms, {}),
        ("baseline", score_terms, {"baseline": b}),
    ):
        for index, wrt in enumerate(("mu", "sigma")):
            out[f"{name}_{wrt}"] = oracle_variance(
                lambda e, t=terms, i=index, kw=kwargs: float(t(kind, mu, sigma, k, e, **kw)[i]), mu, sigma, k
            )
    return out


@pytest.mark.parametrize("case", CASES)
def test_per_sample_variances_match_quadrature(case):
    exact = per_sample_variances(*case)
    for key, oracle in oracle_variances(*case).items():
        assert float(getattr(exact, key)) == pytest.approx(oracle, rel=1e-6, abs=1e-12), key


@settings(max_examples=25, deadline=None)
@given(kinds, mus, sigmas, ks)
def test_per_sample_variances_match_quadrature_over_the_slider_range(kind, mu, sigma, k):
    exact = per_sample_variances(kind, mu, sigma, k)
    for key, oracle in oracle_variances(kind, mu, sigma, k).items():
        value = float(getattr(exact, key))
        assert math.isfinite(value) and value >= 0.0
        assert value == pytest.approx(oracle, rel=1e-5, abs=1e-9 * max(1.0, oracle)), key


def test_per_sample_variances_match_sampled_variances():
    """Monte Carlo oracle: 400,000 draws, each closed form within 5 standard errors."""
    for kind, mu, sigma, k in CASES[:5]:
        exact = per_sample_variances(kind, mu, sigma, k)
        sampled = monte_carlo_check(kind, mu, sigma, k, 400_000, seed=11)
        for name in ("pathwise", "score", "baseline"):
            for wrt in ("mu", "sigma"):
                _, _, var, var_se = sampled[name][wrt]
                assert abs(var - float(exact.get(name, wrt))) < 5 * var_se, (kind, name, wrt)


@pytest.mark.parametrize("kind", FUNCTIONS)
def test_estimators_are_unbiased_over_many_seeds(kind):
    """200 seeds × L = 500: each estimator's average is within 4 standard errors of the exact gradient,
    and the spread across seeds matches the exact per-sample variance / L (to 25 %)."""
    mu, sigma, k = 0.7, 0.8, 2.0
    exact = np.array([float(g) for g in exact_gradient(kind, mu, sigma, k)])
    var = per_sample_variances(kind, mu, sigma, k)
    L, seeds = 500, 200
    eps = np.stack([np.random.default_rng(s).standard_normal(L) for s in range(seeds)])  # (seeds, L)
    for name, terms in (("pathwise", pathwise_terms), ("score", score_terms)):
        estimates = np.stack([g.mean(axis=1) for g in terms(kind, mu, sigma, k, eps)], axis=-1)  # (seeds, 2)
        se = estimates.std(axis=0, ddof=1) / math.sqrt(seeds)
        assert np.all(np.abs(estimates.mean(axis=0) - exact) < 4 * se), name
        predicted = np.array([float(var.get(name, w)) for w in ("mu", "sigma")]) / L
        assert estimates.var(axis=0, ddof=1) == pytest.approx(predicted, rel=0.25), name


def test_leave_one_out_baseline_is_unbiased_and_matches_its_definition():
    kind, mu, sigma, k = "quad", 1.0, 1.0, 3.0
    counts = np.array([2, 5, 40])
    runs = running_estimates(kind, mu, sigma, k, counts, runs=4000, seed=5)
    exact = np.array([float(g) for g in exact_gradient(kind, mu, sigma, k)])
    for j in range(len(counts)):
        est = runs["baseline"][:, j, :]  # (runs, 2)
        se = est.std(axis=0, ddof=1) / math.sqrt(len(est))
        assert np.all(np.abs(est.mean(axis=0) - exact) < 4 * se), counts[j]
    # explicit leave-one-out on the first run, L = 5
    eps = np.random.default_rng(5).standard_normal((4000, 40))[0, :5]
    f = f_value(kind, mu + sigma * eps, k)
    b = (f.sum() - f) / 4
    explicit = np.mean((f - b) * eps / sigma), np.mean((f - b) * (eps**2 - 1) / sigma)
    assert runs["baseline"][0, 1] == pytest.approx(explicit, rel=1e-12)


def test_running_estimates_are_running_means_of_the_per_sample_terms():
    kind, mu, sigma, k = "cos", 0.3, 1.2, 4.0
    counts = sample_counts(1000, 20)
    assert counts[0] == 1 and counts[-1] == 1000 and np.all(np.diff(counts) > 0)
    runs = running_estimates(kind, mu, sigma, k, counts, runs=3, seed=9)
    eps = np.random.default_rng(9).standard_normal((3, 1000))
    g_mu, g_sigma = score_terms(kind, mu, sigma, k, eps)
    for j, L in enumerate(counts):
        assert runs["score"][:, j, 0] == pytest.approx(g_mu[:, :L].mean(axis=1), rel=1e-10, abs=1e-12)
        assert runs["score"][:, j, 1] == pytest.approx(g_sigma[:, :L].mean(axis=1), rel=1e-10, abs=1e-12)
    assert np.all(np.isnan(runs["baseline"][:, 0, :]))  # undefined with one sample


@settings(max_examples=200, deadline=None)
@given(mus, sigmas, ks)
def test_smooth_f_pathwise_always_has_the_smaller_variance(mu, sigma, k):
    """For (z − k)² the gap is a⁴/σ² + 14a² + 11σ² > 0 for ∂μ (a = μ − k): SF never wins."""
    var = per_sample_variances("quad", mu, sigma, k)
    a = mu - k
    assert float(var.score_mu - var.pathwise_mu) == pytest.approx(a**4 / sigma**2 + 14 * a**2 + 11 * sigma**2, rel=1e-8)
    assert var.score_sigma > var.pathwise_sigma
    assert var.baseline_mu > var.pathwise_mu


@settings(max_examples=200, deadline=None)
@given(mus, sigmas, ks)
def test_wiggly_f_score_function_wins_where_the_bounds_guarantee_it(mu, sigma, k):
    """cos(kz): Var_RP(∂μ) ≥ k²(1 − e^{−2k²σ²})/2 − k²e^{−k²σ²} while Var_SF(∂μ) ≤ E[ε²]/σ² = 1/σ²;
    Var_RP(∂σ) ≥ k²(1 − e^{−2k²σ²}|1 − 4k²σ²|)/2 − k⁴σ²e^{−k²σ²} while Var_SF(∂σ) ≤ 2/σ²."""
    var = per_sample_variances("cos", mu, sigma, k)
    t2 = (k * sigma) ** 2
    if k**2 * (1 - math.exp(-2 * t2)) / 2 - k**2 * math.exp(-t2) > 1 / sigma**2:
        assert var.pathwise_mu > var.score_mu
    if k**2 * (1 - math.exp(-2 * t2) * abs(1 - 4 * t2)) / 2 - k**2 * t2 * math.exp(-t2) > 2 / sigma**2:
        assert var.pathwise_sigma > var.score_sigma


def test_the_winner_flips_at_mu_sigma_one():
    """Mohamed et al. (2020), Fig. 2 at μ = σ = 1: SF loses by 7.5×–124× on (z − k)², wins on cos(5z), exp(−10z²)."""
    ratio = [
        float(variance_ratio(v.score_mu, v.pathwise_mu))
        for v in (per_sample_variances("quad", 1.0, 1.0, kk) for kk in (2.0, 5.0))
    ]
    assert ratio == pytest.approx([7.5, 123.75], rel=1e-10)
    for kind, k in (("cos", 5.0), ("gauss", 10.0)):
        var = per_sample_variances(kind, 1.0, 1.0, k)
        assert var.pathwise_mu > var.score_mu and var.pathwise_sigma > var.score_sigma, kind


@settings(max_examples=100, deadline=None)
@given(kinds, mus, sigmas, ks)
def test_everything_the_page_shows_is_finite(kind, mu, sigma, k):
    var = per_sample_variances(kind, mu, sigma, np.array([k, 0.1, 10.0]))
    for name in ("pathwise", "score", "baseline"):
        for wrt in ("mu", "sigma"):
            values = var.get(name, wrt)
            assert np.all(np.isfinite(values)) and np.all(values >= 0)
            assert np.all(np.isfinite(variance_ratio(values, var.get("pathwise", wrt))))
    assert np.all(np.isfinite(exact_gradient(kind, mu, sigma, k)))
    assert math.isfinite(float(expectation(kind, mu, sigma, k)))


def test_f_derivative_is_the_derivative_of_f():
    z = np.linspace(-4, 4, 41)
    for kind in FUNCTIONS:
        numeric = (f_value(kind, z + 1e-6, 2.5) - f_value(kind, z - 1e-6, 2.5)) / 2e-6
        assert f_derivative(kind, z, 2.5) == pytest.approx(numeric, abs=1e-6)


def test_variance_ratio_is_always_finite():
    assert variance_ratio(0.0, 0.0) == 1.0
    assert variance_ratio(2.0, 0.0) == 1e300
    assert variance_ratio(3.0, 1.5) == 2.0


# --- the VAE version: torch autograd against an analytic decoder --------------------------------
class LinearVAE(torch.nn.Module):
    """A tiny VAE whose decoder gradient is known: logits = W z + c, so
    ∂/∂z log p(x|z) = Wᵀ (x − sigmoid(W z + c))."""

    def __init__(self, x_dim=12, z_dim=2, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.enc = torch.nn.Linear(x_dim, 2 * z_dim).double()
        self.W = torch.nn.Parameter(torch.randn(x_dim, z_dim, generator=gen, dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.randn(x_dim, generator=gen, dtype=torch.float64))
        with torch.no_grad():
            self.enc.weight.mul_(0.1)
            self.enc.bias.copy_(torch.tensor([0.3, -0.2, math.log(0.25), math.log(0.5)], dtype=torch.float64))

    def encode(self, x):
        out = self.enc(x)
        return out[:, :2], out[:, 2:]

    def decode(self, z):
        return z @ self.W.T + self.c


def test_vae_pathwise_gradients_match_the_analytic_decoder_gradient():
    model = LinearVAE()
    x = (np.arange(12) % 3 == 0).astype(float)
    s = vae_gradient_samples(model, x, n_samples=64, seed=3)
    eps = (torch.randn((64, 2), generator=torch.Generator().manual_seed(3), dtype=torch.float64)).numpy()
    z = s.mu + s.sigma * eps
    W, c = model.W.detach().numpy(), model.c.detach().numpy()
    grad_z = (x - 1 / (1 + np.exp(-(z @ W.T + c)))) @ W  # (N, 2)
    assert s.pathwise_mu == pytest.approx(grad_z, rel=1e-10, abs=1e-12)
    assert s.pathwise_sigma == pytest.approx(grad_z * eps, rel=1e-10, abs=1e-12)
    log_px = (x * (z @ W.T + c) - np.logaddexp(0, z @ W.T + c)).sum(axis=1)
    assert s.log_px == pytest.approx(log_px, rel=1e-12)
    assert s.score_mu == pytest.approx(log_px[:, None] * eps / s.sigma, rel=1e-10)


def test_vae_estimators_agree_in_mean_and_pathwise_is_far_less_noisy():
    model = LinearVAE(seed=1)
    x = (np.arange(12) % 2 == 0).astype(float)
    s = vae_gradient_samples(model, x, n_samples=200_000, seed=0)
    n = len(s.log_px)
    for name in ("score", "baseline"):
        for wrt in ("mu", "sigma"):
            pw, other = getattr(s, f"pathwise_{wrt}"), getattr(s, f"{name}_{wrt}")
            diff = other.mean(axis=0) - pw.mean(axis=0)
            se = np.sqrt(other.var(axis=0) / n + pw.var(axis=0) / n)
            assert np.all(np.abs(diff) < 4 * se), (name, wrt)
    assert s.score_mu.var(axis=0).sum() > 10 * s.pathwise_mu.var(axis=0).sum()


def test_sample_variance_standard_error_matches_the_spread_over_repeats():
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((2000, 500, 2)) * np.array([1.0, 3.0])  # (repeats, n, D)
    var, se = sample_variance_with_se(draws, axis=1)  # (repeats, D)
    assert var.mean(axis=0) == pytest.approx([1.0, 9.0], rel=0.01)
    assert se.mean(axis=0) == pytest.approx(var.std(axis=0), rel=0.05)  # √(2/n)·σ² for a normal
    ratio, ratio_se = ratio_with_se(9.0, 0.6, 1.0, 0.05)
    assert ratio == 9.0 and ratio_se == pytest.approx(9.0 * math.hypot(0.6 / 9.0, 0.05), rel=1e-12)
