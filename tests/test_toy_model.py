"""The exact toy model against numerical integration over z and against its own identities."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_core.toy_model import (
    elbo,
    log_evidence,
    log_joint,
    log_weights,
    posterior,
    posterior_kl,
    prior_kl,
    reconstruction_term,
)

CASES = [(1.5, 1.0, 0.5, 0.0, 1.0), (2.0, 1.5, 0.8, 0.3, 0.6), (-4.0, -3.0, 0.1, 4.0, 3.0), (0.0, 0.0, 3.0, 0.0, 0.1)]


@pytest.mark.parametrize("case", CASES)
def test_evidence_is_the_integral_of_the_joint(case):
    x, w, noise, _, _ = case
    oracle, _ = integrate.quad(lambda z: math.exp(log_joint(z, x, w, noise)), -np.inf, np.inf)
    assert log_evidence(x, w, noise) == pytest.approx(math.log(oracle), rel=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_posterior_is_joint_over_evidence(case):
    x, w, noise, _, _ = case
    mean, sd = posterior(x, w, noise)
    z = np.linspace(mean - 5 * sd, mean + 5 * sd, 11)
    np.testing.assert_allclose(log_joint(z, x, w, noise) - log_evidence(x, w, noise),
                               stats.norm(mean, sd).logpdf(z), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_elbo_terms_by_quadrature(case):
    x, w, noise, m, s = case
    q = stats.norm(m, s)
    recon, _ = integrate.quad(lambda z: q.pdf(z) * stats.norm(w * z, noise).logpdf(x), m - 40 * s, m + 40 * s)
    full, _ = integrate.quad(lambda z: q.pdf(z) * (log_joint(z, x, w, noise) - q.logpdf(z)), m - 40 * s, m + 40 * s)
    assert reconstruction_term(x, w, noise, m, s) == pytest.approx(recon, rel=1e-8, abs=1e-9)
    assert elbo(x, w, noise, m, s) == pytest.approx(full, rel=1e-8, abs=1e-9)


def test_elbo_by_monte_carlo():
    x, w, noise, m, s = CASES[1]
    z = np.random.default_rng(0).normal(m, s, 400_000)
    lw = log_weights(z, x, w, noise, m, s)
    se = lw.std() / math.sqrt(z.size)
    assert abs(lw.mean() - elbo(x, w, noise, m, s)) < 4 * se
    # and the log of the mean weight estimates log p(x) (consistent, slightly low)
    log_mean = np.logaddexp.reduce(lw) - math.log(z.size)
    assert log_mean == pytest.approx(log_evidence(x, w, noise), abs=0.01)


slider = st.tuples(
    st.floats(-4, 4), st.floats(-3, 3), st.floats(0.1, 3), st.floats(-4, 4), st.floats(0.1, 3)
)


@settings(max_examples=400, deadline=None)
@given(slider)
def test_ledger_identity_over_slider_range(case):
    """log p(x) = ELBO + KL(q‖p(z|x)) (eq. 1.4.10) to 1e-9, with ELBO ≤ log p(x)."""
    x, w, noise, m, s = case
    lp, lb, gap = log_evidence(x, w, noise), elbo(x, w, noise, m, s), posterior_kl(x, w, noise, m, s)
    assert all(map(math.isfinite, (lp, lb, gap)))
    assert lp - lb - gap == pytest.approx(0.0, abs=1e-9 * max(1.0, abs(lb)))
    assert lb <= lp + 1e-12
    assert prior_kl(m, s) >= 0


@settings(max_examples=200, deadline=None)
@given(slider)
def test_equality_at_the_posterior(case):
    x, w, noise, _, _ = case
    mean, sd = posterior(x, w, noise)
    assert elbo(x, w, noise, mean, sd) == pytest.approx(log_evidence(x, w, noise), abs=1e-9)
    assert posterior_kl(x, w, noise, mean, sd) == pytest.approx(0.0, abs=1e-12)
