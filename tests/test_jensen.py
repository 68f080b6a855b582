"""Jensen's inequality: closed forms against scipy quadrature and direct sums; the direction by curvature."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_core.jensen import (
    FUNCTIONS,
    f_values,
    is_convex,
    lognormal,
    lognormal_pdf,
    lognormal_quantile,
    two_point,
)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_curvature_matches_second_difference(name):
    x = np.linspace(0.2, 6.0, 50)
    h = 1e-3
    second = (f_values(name, x + h) - 2 * f_values(name, x) + f_values(name, x - h)) / h**2
    assert np.all(np.sign(second) == (1 if is_convex(name) else -1))


def test_functions_are_what_they_say():
    x = np.array([0.25, 1.0, 4.0])
    np.testing.assert_allclose(f_values("log", x), [-math.log(4), 0, math.log(4)])
    np.testing.assert_allclose(f_values("neglog", x), [math.log(4), 0, -math.log(4)])
    np.testing.assert_allclose(f_values("square", x), [1 / 16, 1, 16])
    np.testing.assert_allclose(f_values("sqrt", x), [0.5, 1, 2])
    with pytest.raises(ValueError):
        f_values("cube", x)


@pytest.mark.parametrize("sigma", [0.05, 0.6, 1.5])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_lognormal_closed_forms_by_quadrature(name, sigma):
    """E[X] and E[f(X)] integrated against scipy's own log-normal density (an independent oracle)."""
    dist = stats.lognorm(s=sigma)

    def expect(g):  # ∫₀^∞ g(x) p(x) dx: a finite body plus the (heavy) right tail to infinity
        mid = dist.ppf(1 - 1e-9)
        body, _ = integrate.quad(
            lambda x: g(x) * dist.pdf(x), 0, mid, points=[1.0], limit=400, epsabs=1e-13, epsrel=1e-12
        )
        tail, _ = integrate.quad(lambda x: g(x) * dist.pdf(x), mid, np.inf, limit=400, epsabs=1e-13)
        return body + tail

    mean = expect(lambda x: x)
    mean_f = expect(lambda x: float(f_values(name, x)))
    exact = lognormal(name, sigma)
    assert exact.mean == pytest.approx(mean, rel=1e-9)
    assert exact.mean_of_f == pytest.approx(mean_f, rel=1e-7, abs=1e-9)
    assert exact.f_of_mean == pytest.approx(float(f_values(name, mean)), rel=1e-9, abs=1e-12)


def test_lognormal_by_monte_carlo():
    x = np.exp(0.8 * np.random.default_rng(1).standard_normal(400_000))
    for name in FUNCTIONS:
        fx = f_values(name, x)
        assert abs(fx.mean() - lognormal(name, 0.8).mean_of_f) < 4 * fx.std() / math.sqrt(x.size)


@pytest.mark.parametrize("sigma", [0.1, 0.7, 1.5])
def test_log_gap_of_a_lognormal_is_half_its_log_variance(sigma):
    """log E[X] − E[log X] = σ²/2: the number KL(q‖p(z|x)) takes when the ELBO's weights are log-normal."""
    assert lognormal("log", sigma).gap == pytest.approx(sigma**2 / 2, rel=1e-12)
    assert lognormal("neglog", sigma).gap == pytest.approx(sigma**2 / 2, rel=1e-12)


def test_lognormal_density_and_quantiles():
    x = np.array([-1.0, 0.0, 0.3, 1.0, 4.0])
    np.testing.assert_allclose(lognormal_pdf(x, 0.7), [0, 0, *stats.lognorm(s=0.7).pdf(x[2:])], rtol=1e-12)
    np.testing.assert_allclose(lognormal_quantile([0.01, 0.5, 0.99], 0.7), stats.lognorm(s=0.7).ppf([0.01, 0.5, 0.99]))


def test_two_point_is_the_boxs_weighted_sum():
    j = two_point("square", 1.0, 3.0, 0.25)
    assert j.mean == 2.5 and j.f_of_mean == 6.25 and j.mean_of_f == 0.25 * 1 + 0.75 * 9
    assert j.gap == pytest.approx(0.75)  # = Var X = λ(1−λ)(x₁ − x₂)²


positive = st.floats(0.1, 6.0)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FUNCTIONS), positive, positive, st.floats(0.0, 1.0))
def test_two_point_direction_follows_curvature(name, x1, x2, lam):
    j = two_point(name, x1, x2, lam)
    tol = 1e-12 * max(1.0, abs(j.f_of_mean), abs(j.mean_of_f))
    if is_convex(name):
        assert j.f_of_mean <= j.mean_of_f + tol
    else:
        assert j.f_of_mean >= j.mean_of_f - tol
    assert j.gap >= 0
    if lam in (0.0, 1.0) or x1 == x2:  # a constant X: equality
        assert j.gap == pytest.approx(0.0, abs=tol)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FUNCTIONS), st.floats(0.05, 1.5))
def test_lognormal_direction_and_strict_gap(name, sigma):
    j = lognormal(name, sigma)
    assert all(map(math.isfinite, j))
    assert (j.mean_of_f - j.f_of_mean) * (1 if is_convex(name) else -1) > 0
