"""vae_core.gaussian against independent oracles: torch.distributions, scipy, Monte Carlo."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_core.gaussian import (
    kl_diag_to_standard_normal,
    kl_integrand,
    kl_monte_carlo,
    kl_normal,
    kl_quadrature,
    normal_logpdf,
)

# The KL page's slider ranges.
mus = st.floats(-5.0, 5.0, allow_nan=False)
sigmas = st.floats(0.1, 5.0, allow_nan=False)

CASES = [(0.0, 1.0, 1.0, 1.5), (0.5, 0.7, -1.0, 2.0), (-5.0, 0.1, 5.0, 5.0), (3.0, 5.0, -4.0, 0.1)]


def torch_kl(mu1, s1, mu2, s2):
    p = torch.distributions.Normal(torch.tensor(mu1, dtype=torch.float64), torch.tensor(s1, dtype=torch.float64))
    q = torch.distributions.Normal(torch.tensor(mu2, dtype=torch.float64), torch.tensor(s2, dtype=torch.float64))
    return torch.distributions.kl_divergence(p, q).item()


@pytest.mark.parametrize("case", CASES)
def test_closed_form_matches_torch(case):
    assert kl_normal(*case) == pytest.approx(torch_kl(*case), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_closed_form_matches_scipy_quadrature_of_the_definition(case):
    """Eq. 1.4.11 integrated with scipy.stats densities — no vae_core code in the oracle."""
    mu1, s1, mu2, s2 = case
    p, q = stats.norm(mu1, s1), stats.norm(mu2, s2)
    oracle, _ = integrate.quad(
        lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), mu1 - 30 * s1, mu1 + 30 * s1, points=[mu1], limit=200
    )
    assert kl_normal(*case) == pytest.approx(oracle, rel=1e-8, abs=1e-10)
    value, err = kl_quadrature(*case)
    assert value == pytest.approx(oracle, rel=1e-8, abs=1e-10)
    assert err < 1e-6


def test_monte_carlo_is_unbiased_within_standard_errors():
    case = (0.5, 0.7, -1.0, 2.0)
    exact = float(kl_normal(*case))
    estimates = [kl_monte_carlo(*case, n=2_000, seed=s) for s in range(200)]
    means = np.array([m for m, _ in estimates])
    ses = np.array([se for _, se in estimates])
    # the average of 200 runs is within 4 standard errors of the exact value
    assert abs(means.mean() - exact) < 4 * ses.mean() / math.sqrt(len(means))
    # the reported s.e. matches the spread across runs (to 15 %)
    assert ses.mean() == pytest.approx(means.std(ddof=1), rel=0.15)


def test_monte_carlo_is_reproducible_by_seed():
    assert kl_monte_carlo(0, 1, 1, 1.5, 1000, seed=7) == kl_monte_carlo(0, 1, 1, 1.5, 1000, seed=7)
    assert kl_monte_carlo(0, 1, 1, 1.5, 1000, seed=7) != kl_monte_carlo(0, 1, 1, 1.5, 1000, seed=8)


def test_integrand_area_is_kl_and_takes_both_signs():
    mu1, s1, mu2, s2 = 0.0, 1.0, 1.0, 1.5
    x = np.linspace(-12, 12, 200_001)
    f = kl_integrand(x, mu1, s1, mu2, s2)
    assert (f > 0).any() and (f < 0).any()
    assert np.trapezoid(f, x) == pytest.approx(float(kl_normal(mu1, s1, mu2, s2)), rel=1e-8)


def test_logpdf_matches_scipy():
    x = np.linspace(-50, 50, 101)
    np.testing.assert_allclose(normal_logpdf(x, 1.5, 0.3), stats.norm(1.5, 0.3).logpdf(x), rtol=1e-12)


def test_diag_formula_matches_torch_multivariate():
    mu = np.array([0.3, -1.2, 2.0])
    sigma = np.array([0.5, 1.7, 0.2])
    q = torch.distributions.MultivariateNormal(torch.tensor(mu), torch.diag(torch.tensor(sigma) ** 2))
    prior = torch.distributions.MultivariateNormal(
        torch.zeros(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64)
    )
    oracle = torch.distributions.kl_divergence(q, prior).item()
    assert kl_diag_to_standard_normal(mu, sigma) == pytest.approx(oracle, rel=1e-12)
    # with one dimension it is the chapter's formula with q = N(0, 1)
    assert kl_diag_to_standard_normal([0.3], [0.5]) == pytest.approx(float(kl_normal(0.3, 0.5, 0.0, 1.0)))


def test_vectorised_over_a_grid():
    m2, s2 = np.meshgrid(np.linspace(-5, 5, 7), np.geomspace(0.1, 5, 5))
    grid = kl_normal(0.0, 1.0, m2, s2)
    assert grid.shape == (5, 7)
    assert grid[2, 3] == pytest.approx(float(kl_normal(0.0, 1.0, m2[2, 3], s2[2, 3])))


@settings(max_examples=300, deadline=None)
@given(mus, sigmas, mus, sigmas)
def test_properties_over_slider_range(mu1, s1, mu2, s2):
    kl = float(kl_normal(mu1, s1, mu2, s2))
    assert math.isfinite(kl)
    assert kl >= 0.0
    assert kl == pytest.approx(torch_kl(mu1, s1, mu2, s2), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(mus, sigmas)
def test_zero_iff_equal(mu, s):
    assert kl_normal(mu, s, mu, s) == 0.0
    assert kl_normal(mu, s, mu + 0.01, s) > 0.0
    assert kl_normal(mu, s, mu, s * 1.01) > 0.0


def test_asymmetric_in_general():
    assert kl_normal(0, 1, 1, 1.5) != pytest.approx(kl_normal(1, 1.5, 0, 1), rel=0.01)
    # symmetric when only the means differ and the variances are equal
    assert kl_normal(0, 1, 1, 1) == pytest.approx(kl_normal(1, 1, 0, 1))
