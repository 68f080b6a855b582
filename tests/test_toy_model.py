"""The exact toy model against numerical integration over z and against its own identities."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_core.toy_model import (
    ascend_elbo,
    elbo,
    elbo_gradient,
    log_evidence,
    log_joint,
    log_weight_sd,
    log_weights,
    posterior,
    posterior_kl,
    prior_kl,
    quadrature_check,
    reconstruction_term,
    weight_chi_square,
    weight_estimates,
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
    np.testing.assert_allclose(
        log_joint(z, x, w, noise) - log_evidence(x, w, noise), stats.norm(mean, sd).logpdf(z), rtol=1e-10, atol=1e-10
    )


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


slider = st.tuples(st.floats(-4, 4), st.floats(-3, 3), st.floats(0.1, 3), st.floats(-4, 4), st.floats(0.1, 3))


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


# --- gradients and the optimizer ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(slider)
def test_gradient_matches_finite_differences(case):
    """The closed-form gradient against central differences of the (independently written) ELBO."""
    x, w, noise, m, s = case
    g_m, g_log_s = elbo_gradient(x, w, noise, m, math.log(s))
    h = 1e-6
    fd_m = (elbo(x, w, noise, m + h, s) - elbo(x, w, noise, m - h, s)) / (2 * h)
    fd_log_s = (elbo(x, w, noise, m, s * math.exp(h)) - elbo(x, w, noise, m, s * math.exp(-h))) / (2 * h)
    scale = 1 + abs(elbo(x, w, noise, m, s))
    assert g_m == pytest.approx(fd_m, rel=1e-5, abs=1e-7 * scale)
    assert g_log_s == pytest.approx(fd_log_s, rel=1e-5, abs=1e-7 * scale)


def test_gradient_vanishes_only_at_the_posterior():
    x, w, noise = 2.0, 1.5, 0.8
    mean, sd = posterior(x, w, noise)
    np.testing.assert_allclose(elbo_gradient(x, w, noise, mean, np.log(sd)), (0, 0), atol=1e-12)
    g = np.array(elbo_gradient(x, w, noise, mean + 0.1, np.log(sd)))
    assert g[0] < 0 and abs(g[1]) < 1e-12  # to the right of the posterior mean: go left


@pytest.mark.parametrize("natural", [True, False])
def test_ascent_closes_the_gap_at_the_issue_links(natural):
    for x, w, noise, m, s in [(1.5, 1.0, 0.5, 0.0, 1.0), (2.0, 1.5, 0.8, 0.3, 0.6)]:
        path = ascend_elbo(x, w, noise, m, s, steps=100, lr=0.2, natural=natural)
        assert (path.m[0], path.s[0]) == (m, s)
        assert path.kl[0] == pytest.approx(float(posterior_kl(x, w, noise, m, s)))
        assert path.kl[-1] < 1e-3
        assert path.elbo[-1] == pytest.approx(float(log_evidence(x, w, noise)), abs=1e-3)


@settings(max_examples=150, deadline=None)
@given(slider)
def test_natural_ascent_reaches_the_posterior_everywhere(case):
    """Default optimizer settings, whole slider range: KL < 1e-3 after 100 steps, ELBO never falls,
    and the ledger log p(x) = ELBO + KL holds at every step (log p(x) does not move: θ is fixed)."""
    x, w, noise, m, s = case
    path = ascend_elbo(x, w, noise, m, s)
    assert path.m.shape == path.s.shape == path.elbo.shape == path.kl.shape == (101,)
    assert np.all(np.isfinite(path.elbo)) and np.all(path.s > 0)
    assert np.all(np.diff(path.elbo) >= 0)
    assert path.kl[-1] < 1e-3
    lp = float(log_evidence(x, w, noise))
    np.testing.assert_allclose(path.elbo + path.kl, lp, atol=1e-9 * max(1.0, abs(path.elbo[0])))


def test_ascent_does_not_plunge_when_q_is_much_wider_than_the_posterior():
    """Regression (found by hypothesis): an unclipped first step sent σ_q to ~1e-11, still raising
    the ELBO, and 100 steps were not enough to climb back. Clipped steps move log σ_q by ≤ lr·5."""
    path = ascend_elbo(2.0, 2.0, 0.125, 1.0, 1.0)
    assert np.all(np.abs(np.diff(np.log(path.s))) <= 0.2 * 5 + 1e-12)
    assert path.s.min() > 0.5 * float(posterior(2.0, 2.0, 0.125)[1]) and path.kl[-1] < 1e-3


def test_ascent_is_deterministic_and_plain_differs():
    a = ascend_elbo(4.0, 3.0, 0.1, -4.0, 3.0)
    b = ascend_elbo(4.0, 3.0, 0.1, -4.0, 3.0)
    np.testing.assert_array_equal(a.m, b.m)
    plain = ascend_elbo(4.0, 3.0, 0.1, -4.0, 3.0, natural=False)
    assert np.all(np.diff(plain.elbo) >= 0)
    assert plain.kl[-1] > 1e-3  # a narrow posterior: plain steps crawl along the flat direction


def test_ascent_from_the_optimum_stays_put():
    mean, sd = posterior(1.5, 1.0, 0.5)
    path = ascend_elbo(1.5, 1.0, 0.5, float(mean), float(sd), steps=5)
    np.testing.assert_allclose(path.m, mean, atol=1e-12)
    np.testing.assert_allclose(path.kl, 0, atol=1e-12)


# --- the weights w(z) = p(x, z)/q(z): moments and Monte Carlo estimates ------------------------


@pytest.mark.parametrize("case", CASES)
def test_log_weight_sd_by_quadrature(case):
    x, w, noise, m, s = case
    q = stats.norm(m, s)
    lw = lambda z: log_weights(z, x, w, noise, m, s)  # noqa: E731
    mean = elbo(x, w, noise, m, s)
    var, _ = integrate.quad(lambda z: q.pdf(z) * (lw(z) - mean) ** 2, m - 40 * s, m + 40 * s, points=[m], limit=200)
    assert log_weight_sd(x, w, noise, m, s) == pytest.approx(math.sqrt(var), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("case", [(1.5, 1.0, 0.5, 0.0, 1.0), (2.0, 1.5, 0.8, 0.3, 0.6), (0.5, 0.5, 1.0, 0.2, 0.9)])
def test_weight_chi_square_by_quadrature(case):
    """χ² = E_q[w²]/p(x)² − 1 integrated numerically (all in log space, scaled to avoid overflow)."""
    x, w, noise, m, s = case
    lp = log_evidence(x, w, noise)
    mean, sd = posterior(x, w, noise)
    second, _ = integrate.quad(
        lambda z: math.exp(2 * (log_joint(z, x, w, noise) - lp) - stats.norm(m, s).logpdf(z)),
        mean - 40 * sd,
        mean + 40 * sd,
        points=[mean],
        limit=200,
    )
    assert weight_chi_square(x, w, noise, m, s) == pytest.approx(second - 1, rel=1e-7, abs=1e-10)


def test_weight_chi_square_infinite_when_q_too_narrow():
    mean, sd = posterior(1.5, 1.0, 0.5)
    assert math.isinf(weight_chi_square(1.5, 1.0, 0.5, mean, 0.7 * sd))  # 0.49 σ² < σ²/2
    assert weight_chi_square(1.5, 1.0, 0.5, mean, sd) == pytest.approx(0.0, abs=1e-12)


def test_equal_widths_make_log_weights_normal_with_variance_two_kl():
    """With s = σ_post, log w is linear in z: normal, variance 2·KL — Jensen's log-normal gap σ²/2 = KL."""
    x, w, noise = 1.5, 1.0, 0.5
    mean, sd = posterior(x, w, noise)
    kl = float(posterior_kl(x, w, noise, mean + 0.4, sd))
    assert log_weight_sd(x, w, noise, mean + 0.4, sd) ** 2 == pytest.approx(2 * kl, rel=1e-12)


def test_weight_estimates_against_exact_values():
    x, w, noise, m, s = 2.0, 1.5, 0.8, 0.3, 0.6
    est = weight_estimates(x, w, noise, m, s, L=200_000, seed=7)
    assert est.log_w.shape == (200_000,)
    assert abs(est.elbo - elbo(x, w, noise, m, s)) < 4 * est.elbo_se
    assert est.elbo_se == pytest.approx(log_weight_sd(x, w, noise, m, s) / math.sqrt(200_000), rel=0.02)
    assert est.log_evidence_se == pytest.approx(math.sqrt(weight_chi_square(x, w, noise, m, s) / 200_000), rel=0.05)
    assert abs(est.log_evidence - log_evidence(x, w, noise)) < 4 * est.log_evidence_se
    assert 0 < est.ess <= 200_000
    again = weight_estimates(x, w, noise, m, s, L=200_000, seed=7)
    assert again.elbo == est.elbo  # the seed reproduces the draws


def test_log_mean_exp_is_biased_low_by_about_chi2_over_2L():
    """Jensen again: E[log mean w] < log p(x); over many seeds the bias is ≈ χ²/(2L) (delta method)."""
    x, w, noise, m, s = 1.5, 1.0, 0.5, 0.8, 0.6
    L = 20
    estimates = np.array([weight_estimates(x, w, noise, m, s, L, seed).log_evidence for seed in range(4000)])
    bias = estimates.mean() - float(log_evidence(x, w, noise))
    se = estimates.std() / math.sqrt(estimates.size)
    expected = -float(weight_chi_square(x, w, noise, m, s)) / (2 * L)
    assert bias < -3 * se  # really biased low
    assert bias == pytest.approx(expected, rel=0.35)


def test_weight_estimates_at_the_posterior_are_exact():
    x, w, noise = 1.5, 1.0, 0.5
    mean, sd = posterior(x, w, noise)
    est = weight_estimates(x, w, noise, float(mean), float(sd), L=10, seed=0)
    lp = float(log_evidence(x, w, noise))
    assert est.elbo == pytest.approx(lp, abs=1e-12) and est.log_evidence == pytest.approx(lp, abs=1e-12)
    assert est.elbo_se < 1e-12 and est.ess == pytest.approx(10)


@settings(max_examples=60, deadline=None)
@given(slider, st.sampled_from([1, 10, 1000]), st.integers(0, 2**31 - 1))
def test_weight_estimates_finite_everywhere(case, L, seed):
    est = weight_estimates(*case, L=L, seed=seed)
    assert all(map(math.isfinite, est[1:]))
    assert est.log_evidence >= est.elbo - 1e-9  # log-mean-exp ≥ mean-log for the same draws (Jensen)


@pytest.mark.parametrize("case", CASES)
def test_quadrature_check_agrees_with_closed_forms(case):
    x, w, noise, m, s = case
    check = quadrature_check(x, w, noise, m, s)
    assert check["log_evidence"] == pytest.approx(float(log_evidence(x, w, noise)), abs=1e-9)
    assert check["elbo"] == pytest.approx(float(elbo(x, w, noise, m, s)), rel=1e-9, abs=1e-9)
    assert check["posterior_kl"] == pytest.approx(float(posterior_kl(x, w, noise, m, s)), rel=1e-9, abs=1e-9)
