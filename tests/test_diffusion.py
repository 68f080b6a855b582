"""vae_core.diffusion against independent oracles: cumulative products, seeded Monte Carlo over forward
paths, Bayes' rule by quadrature, torch.distributions, dense multivariate Gaussians, the toy model."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_core import diffusion as d
from vae_core import toy_model

# The ranges a page would offer.
Ts = st.integers(1, 1000)
kinds = st.sampled_from(d.SCHEDULES)
x0s = st.floats(-10.0, 10.0, allow_nan=False)
means = st.floats(-5.0, 5.0, allow_nan=False)
sds = st.floats(0.01, 10.0, allow_nan=False)
variances = st.sampled_from(d.VARIANCES)
priors = st.sampled_from(d.PRIORS)

# (T, kind, x0, data mean, data sd) — small and large T, both schedules
CASES = [
    (1, "linear", 1.3, 0.5, 0.7),
    (2, "cosine", -0.4, 0.0, 1.0),
    (5, "linear", 2.0, 1.0, 0.3),
    (20, "cosine", 0.8, -1.0, 2.0),
    (1000, "linear", -1.0, 0.0, 1.0),
]


def torch_kl(mu1, var1, mu2, var2):
    t = torch.as_tensor
    p = torch.distributions.Normal(t(mu1, dtype=torch.float64), t(np.sqrt(var1), dtype=torch.float64))
    q = torch.distributions.Normal(t(mu2, dtype=torch.float64), t(np.sqrt(var2), dtype=torch.float64))
    return torch.distributions.kl_divergence(p, q).numpy()


def norm_logpdf(x, mean, var):
    """log N(x; mean, var), written out here so the Monte Carlo oracles share no code with the library."""
    return -0.5 * np.log(2.0 * np.pi * var) - (x - mean) ** 2 / (2.0 * var)


def hermite_expectation(f, mean, var, n=80):
    """E[f(X)], X ~ N(mean, var), by Gauss–Hermite quadrature (exact for polynomials of degree < 2n)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    return np.sum(weights * f(mean + np.sqrt(var) * nodes)) / np.sqrt(2.0 * np.pi)


def perturbed(rev, seed, size=0.3):
    """A reverse chain off the optimum: every parameter moved at random (the variances multiplicatively)."""
    rng = np.random.default_rng(seed)
    T = len(rev.a)
    return d.Reverse(
        rev.a + size * rng.standard_normal(T),
        rev.b + size * rng.standard_normal(T),
        rev.var * np.exp(size * rng.standard_normal(T)),
        rev.prior_mean + size,
        rev.prior_var * 1.5,
    )


# --- schedules ------------------------------------------------------------------------------------


def test_linear_schedule_at_1000_steps_is_ho_et_al():
    np.testing.assert_array_equal(d.linear_betas(1000), np.linspace(1e-4, 0.02, 1000))


def test_linear_schedule_is_scaled_to_T():
    np.testing.assert_allclose(d.linear_betas(100), np.linspace(1e-3, 0.2, 100), rtol=1e-12)
    assert d.linear_betas(1)[0] == d.MAX_BETA
    for T in (50, 100, 500, 1000, 4000):  # Σβ = 10.05 whatever T, so ᾱ_T = ∏(1 − β) ≤ exp(−10.05)
        sched = d.make_schedule(T)
        assert sched.betas.sum() == pytest.approx(10.05, rel=1e-12)
        assert -12.0 < sched.log_alpha_bar[-1] <= -10.05


def test_cosine_schedule_follows_its_defining_alpha_bar():
    T, s = 200, 0.008
    sched = d.make_schedule(T, "cosine")
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    unclipped = sched.betas < d.MAX_BETA
    assert unclipped[:-1].all()  # only the last step is clipped
    np.testing.assert_allclose(sched.alpha_bar[:-1], f[:-1] / f[0], rtol=1e-10)


@pytest.mark.parametrize("kind", d.SCHEDULES)
@pytest.mark.parametrize("T", [1, 3, 1000])
def test_derived_quantities_match_their_definitions(kind, T):
    sched = d.make_schedule(T, kind)
    alpha_bar = np.concatenate([[1.0], np.cumprod(1.0 - sched.betas)])
    np.testing.assert_allclose(sched.alpha_bar, alpha_bar, rtol=1e-12)
    np.testing.assert_allclose(sched.one_minus_alpha_bar, 1.0 - alpha_bar, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(sched.snr, alpha_bar[1:] / (1.0 - alpha_bar[1:]), rtol=1e-9)
    post = (1 - alpha_bar[:-1]) * sched.betas / (1 - alpha_bar[1:])
    np.testing.assert_allclose(sched.posterior_variance, post, rtol=1e-9, atol=1e-300)
    assert np.all(np.diff(sched.log_snr) < 0)


@settings(max_examples=60, deadline=None)
@given(Ts, kinds)
def test_schedules_are_valid_over_the_slider_range(T, kind):
    sched = d.make_schedule(T, kind)
    assert sched.T == T and np.all(sched.betas > 0) and np.all(sched.betas <= d.MAX_BETA)
    for values in (sched.log_alpha_bar, sched.one_minus_alpha_bar, sched.log_snr, sched.posterior_variance):
        assert np.all(np.isfinite(values))
    assert np.all(np.diff(sched.log_alpha_bar) < 0)
    assert sched.alpha_bar[-1] < 0.01  # x_T is close to pure noise for every T


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        d.make_schedule(0)
    with pytest.raises(ValueError):
        d.make_schedule(10, "quadratic")
    sched = d.make_schedule(10)
    with pytest.raises(ValueError):
        d.marginal(sched, 11)
    with pytest.raises(ValueError):
        d.posterior_coefficients(sched, 0)
    with pytest.raises(ValueError):
        d.gaussian_reverse(sched, 0.0, 1.0, variance="learned")
    with pytest.raises(ValueError):
        d.ledger(0.0, d.make_schedule(5), d.fit_reverse(sched, 0.0, 1.0))


# --- forward process: jump = walk ------------------------------------------------------------------


@pytest.mark.parametrize("kind", d.SCHEDULES)
@pytest.mark.parametrize("t", [1, 7, 60])
def test_walking_t_steps_gives_the_closed_form_marginal(kind, t):
    """Seeded Monte Carlo: n walked draws have the mean and variance of q(x_t|x₀) within 4 s.e., and pass
    a Kolmogorov–Smirnov test against it; the jumped draws too."""
    sched, x0, n = d.make_schedule(60, kind), 1.7, 20_000
    scale, var = d.marginal(sched, t)
    for draws in (d.sample_walk(sched, x0, t, n, seed=11), d.sample_jump(sched, x0, t, n, seed=12)):
        assert abs(draws.mean() - scale * x0) < 4 * math.sqrt(var / n)
        assert abs(draws.var(ddof=1) - var) < 4 * var * math.sqrt(2 / (n - 1))
        assert stats.kstest(draws, stats.norm(scale * x0, math.sqrt(var)).cdf).pvalue > 1e-3


def test_sampling_is_reproducible_from_the_seed_and_keeps_shapes():
    sched = d.make_schedule(30)
    x0 = np.array([[0.0, 1.0, -1.0]])  # (1, 3), e.g. pixels
    assert d.sample_paths(sched, x0, 4, seed=3).shape == (4, 31, 1, 3)
    assert d.sample_walk(sched, x0, 5, 4, seed=3).shape == d.sample_jump(sched, x0, 5, 4, seed=3).shape == (4, 1, 3)
    np.testing.assert_array_equal(d.sample_jump(sched, x0, 5, 4, seed=3), d.sample_jump(sched, x0, 5, 4, seed=3))
    np.testing.assert_array_equal(d.sample_walk(sched, x0, 5, 4, seed=3), d.sample_walk(sched, x0, 5, 4, seed=3))
    assert not np.array_equal(d.sample_walk(sched, x0, 5, 4, seed=3), d.sample_walk(sched, x0, 5, 4, seed=4))
    assert np.all(d.sample_paths(sched, x0, 2, seed=3)[:, 0] == x0)


# --- the true posterior q(x_{t−1}|x_t, x₀) by Bayes' rule -------------------------------------------


@pytest.mark.parametrize(
    ("kind", "t", "x_t", "x0"),
    [("linear", 2, 0.3, 1.0), ("cosine", 5, -1.2, 0.5), ("linear", 40, 2.0, -2.0), ("cosine", 50, 0.0, 3.0)],
)
def test_posterior_is_bayes_rule_by_quadrature(kind, t, x_t, x0):
    sched = d.make_schedule(50, kind)
    step_scale, step_var = d.forward_kernel(sched, t)
    prev_scale, prev_var = d.marginal(sched, t - 1)
    prior = stats.norm(prev_scale * x0, math.sqrt(prev_var))  # q(x_{t−1}|x₀)
    lik = stats.norm(0.0, math.sqrt(step_var))  # q(x_t|x_{t−1}) as a function of x_{t−1}

    def unnormalized(y):
        return prior.pdf(y) * lik.pdf(x_t - step_scale * y)

    lo, hi = prior.mean() - 12 * prior.std(), prior.mean() + 12 * prior.std()
    mean_guess, var = d.posterior(sched, t, x_t, x0)
    points = [float(mean_guess)]
    z, _ = integrate.quad(unnormalized, lo, hi, points=points, limit=200, epsabs=0, epsrel=1e-12)
    m1, _ = integrate.quad(lambda y: y * unnormalized(y) / z, lo, hi, points=points, limit=200, epsabs=1e-13)
    m2, _ = integrate.quad(
        lambda y: (y - m1) ** 2 * unnormalized(y) / z, lo, hi, points=points, limit=200, epsabs=1e-15
    )
    assert mean_guess == pytest.approx(m1, rel=1e-7, abs=1e-9)
    assert var == pytest.approx(m2, rel=1e-6)
    # the normalizer is the jump q(x_t|x₀): walking one more step from q(x_{t−1}|x₀)
    scale, marg_var = d.marginal(sched, t)
    assert z == pytest.approx(stats.norm(scale * x0, math.sqrt(marg_var)).pdf(x_t), rel=1e-8)


def test_posterior_at_t1_is_the_point_x0():
    c0, ct, var = d.posterior_coefficients(d.make_schedule(10), 1)
    assert (c0, ct, var) == (pytest.approx(1.0), 0.0, 0.0)


# --- the ledger's terms, each against its own oracle --------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_each_kl_term_matches_torch_distributions(case):
    """Prior matching: torch's KL. Denoising: torch's KL at each x_t, averaged over q(x_t|x₀) by Gauss–Hermite."""
    T, kind, x0, m, s = case
    sched = d.make_schedule(T, kind)
    rev = perturbed(d.gaussian_reverse(sched, m, s, "beta", "standard"), seed=T)
    led = d.ledger(x0, sched, rev)
    scale, var = d.marginal(sched, T)
    assert led.prior_matching == pytest.approx(torch_kl(scale * x0, var, rev.prior_mean, rev.prior_var), rel=1e-12)
    for t in sorted({2, 3, T // 2, T} & set(range(2, T + 1))):
        xs, xv = d.marginal(sched, t)

        def kl_at(x_t, t=t):
            mu, pv = d.posterior(sched, t, x_t, x0)
            return torch_kl(mu, np.full_like(x_t, pv), rev.a[t - 1] * x_t + rev.b[t - 1], rev.var[t - 1])

        assert led.denoising[t - 2] == pytest.approx(hermite_expectation(kl_at, xs * x0, xv), rel=1e-9)


@pytest.mark.parametrize("case", CASES[:4])
def test_reconstruction_term_by_quadrature(case):
    T, kind, x0, m, s = case
    sched = d.make_schedule(T, kind)
    rev = perturbed(d.gaussian_reverse(sched, m, s), seed=1)
    scale, var = d.marginal(sched, 1)
    q = stats.norm(scale * x0, math.sqrt(var))
    oracle, _ = integrate.quad(
        lambda x1: q.pdf(x1) * norm_logpdf(x0, rev.a[0] * x1 + rev.b[0], rev.var[0]),
        scale * x0 - 40 * math.sqrt(var),
        scale * x0 + 40 * math.sqrt(var),
        limit=200,
    )
    assert d.ledger(x0, sched, rev).reconstruction == pytest.approx(oracle, rel=1e-8)


def mc_elbo_terms(x0, sched, rev, n, seed):
    """The ELBO's terms by Monte Carlo over forward paths, written with scipy only (the library's path
    sampler and densities are not used). Returns (terms (n, 3): log p(x₀|x₁), log p(x_T) − log q(x_T|x₀),
    Σ_t log p_θ(x_{t−1}|x_t) − log q(x_{t−1}|x_t, x₀)), whose sum is the ELBO integrand."""
    rng = np.random.default_rng(seed)
    T = len(sched.betas)
    x = np.empty((n, T + 1))
    x[:, 0] = x0
    for t in range(1, T + 1):
        b = sched.betas[t - 1]
        x[:, t] = math.sqrt(1 - b) * x[:, t - 1] + math.sqrt(b) * rng.standard_normal(n)
    ab = np.cumprod(1 - sched.betas)
    recon = norm_logpdf(x0, rev.a[0] * x[:, 1] + rev.b[0], rev.var[0])
    prior = norm_logpdf(x[:, T], rev.prior_mean, rev.prior_var) - norm_logpdf(
        x[:, T], math.sqrt(ab[-1]) * x0, 1 - ab[-1]
    )
    denoise = np.zeros(n)
    for t in range(2, T + 1):
        b, ab_t, ab_prev = sched.betas[t - 1], ab[t - 1], ab[t - 2]
        mean = (math.sqrt(ab_prev) * b * x0 + math.sqrt(1 - b) * (1 - ab_prev) * x[:, t]) / (1 - ab_t)
        var = (1 - ab_prev) * b / (1 - ab_t)
        denoise += norm_logpdf(x[:, t - 1], rev.a[t - 1] * x[:, t] + rev.b[t - 1], rev.var[t - 1]) - norm_logpdf(
            x[:, t - 1], mean, var
        )
    return np.stack([recon, prior, denoise], axis=1)


@pytest.mark.parametrize("case", CASES)
def test_elbo_terms_match_monte_carlo_over_forward_paths(case):
    T, kind, x0, m, s = case
    sched = d.make_schedule(T, kind)
    rev = perturbed(d.gaussian_reverse(sched, m, s, "beta_tilde", "standard"), seed=2, size=0.1 / math.sqrt(T))
    n = 4000 if T < 1000 else 1000
    terms = mc_elbo_terms(x0, sched, rev, n, seed=5)
    mean, se = terms.mean(axis=0), terms.std(axis=0, ddof=1) / math.sqrt(n)
    led = d.ledger(x0, sched, rev)
    exact = [led.reconstruction, -led.prior_matching, -led.denoising.sum()]
    for value, est, err in zip(exact, mean, se, strict=True):
        assert abs(value - est) <= 4 * err + 1e-12
    total = terms.sum(axis=1)
    assert abs(led.elbo - total.mean()) <= 4 * total.std(ddof=1) / math.sqrt(n)
    # the library's own check (path_estimates) agrees with the same exact numbers
    est = d.path_estimates(x0, sched, rev, n, seed=6)
    assert abs(est.elbo - led.elbo) <= 4 * est.elbo_se


@pytest.mark.parametrize("case", CASES)
def test_importance_sampling_over_paths_recovers_log_evidence(case):
    """log-mean-exp of the path weights: within a few s.e. of log p_θ(x₀) when the gap is small (here the
    optimal kernels with the standard prior), and exact with zero spread when the gap is 0."""
    T, kind, x0, m, s = case
    sched = d.make_schedule(T, kind)
    rev = d.gaussian_reverse(sched, m, s, prior="standard")
    est, led = d.path_estimates(x0, sched, rev, 2000, seed=8), d.ledger(x0, sched, rev)
    assert abs(est.log_evidence - led.log_evidence) <= 4 * est.log_evidence_se + 1e-3
    assert est.elbo <= est.log_evidence
    exact = d.path_estimates(x0, sched, d.gaussian_reverse(sched, m, s), 50, seed=8)
    assert exact.elbo_se < 1e-9 and exact.elbo == pytest.approx(float(stats.norm(m, s).logpdf(x0)), rel=1e-9)


# --- log p_θ(x₀) and the gap -------------------------------------------------------------------------


def test_log_evidence_by_integration_over_the_chain_t1_and_t2():
    x0 = 0.9
    sched1 = d.make_schedule(1)
    rev1 = perturbed(d.gaussian_reverse(sched1, 0.5, 0.8, "beta", "standard"), seed=3)

    def joint1(x1):
        return stats.norm(rev1.prior_mean, math.sqrt(rev1.prior_var)).pdf(x1) * stats.norm(
            rev1.a[0] * x1 + rev1.b[0], math.sqrt(rev1.var[0])
        ).pdf(x0)

    value, _ = integrate.quad(joint1, -30, 30, limit=200, epsabs=0, epsrel=1e-12)
    assert d.log_evidence(x0, rev1) == pytest.approx(math.log(value), rel=1e-9)

    sched2 = d.make_schedule(2, "cosine")
    rev2 = perturbed(d.gaussian_reverse(sched2, -0.3, 1.2, "optimal", "standard"), seed=4)

    # ∫∫ p(x₂) p(x₁|x₂) p(x₀|x₁) dx₁ dx₂ on a fine grid (the trapezoid rule is spectrally accurate for
    # smooth integrands that vanish at the edges)
    grid = np.linspace(-15, 15, 1501)
    x1, x2 = np.meshgrid(grid, grid, indexing="ij")
    log_joint = (
        norm_logpdf(x2, rev2.prior_mean, rev2.prior_var)
        + norm_logpdf(x1, rev2.a[1] * x2 + rev2.b[1], rev2.var[1])
        + norm_logpdf(x0, rev2.a[0] * x1 + rev2.b[0], rev2.var[0])
    )
    value2 = integrate.trapezoid(integrate.trapezoid(np.exp(log_joint), grid, axis=1), grid)
    assert d.log_evidence(x0, rev2) == pytest.approx(math.log(value2), rel=1e-7)


def dense_gap(x0, sched, rev):
    """KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) with T×T matrices: the reverse chain's joint of (x₀…x_T) as an
    affine map of independent normals, conditioned on x₀ by the Schur complement; q's joint likewise."""
    T = sched.T
    # p_θ: x_T = μ_T + σ_T e_T, x_{t−1} = a_t x_t + b_t + √v_t e_{t−1}; order the state as (x₀, …, x_T)
    A = np.zeros((T + 1, T + 1))  # x = A e + c
    c = np.zeros(T + 1)
    A[T, T], c[T] = math.sqrt(rev.prior_var), rev.prior_mean
    for t in range(T, 0, -1):
        A[t - 1] = rev.a[t - 1] * A[t]
        A[t - 1, t - 1] += math.sqrt(rev.var[t - 1])
        c[t - 1] = rev.a[t - 1] * c[t] + rev.b[t - 1]
    cov = A @ A.T
    gain = cov[1:, 0] / cov[0, 0]
    p_mean = c[1:] + gain * (x0 - c[0])
    p_cov = cov[1:, 1:] - np.outer(gain, cov[0, 1:])
    # q: x_t = √(1−β_t) x_{t−1} + √β_t e_t given x₀
    B = np.zeros((T, T))
    q_mean = np.zeros(T)
    prev_row, prev_mean = np.zeros(T), x0
    for t in range(1, T + 1):
        s = math.sqrt(1 - sched.betas[t - 1])
        row = s * prev_row
        row[t - 1] += math.sqrt(sched.betas[t - 1])
        B[t - 1], q_mean[t - 1] = row, s * prev_mean
        prev_row, prev_mean = row, q_mean[t - 1]
    q_cov = B @ B.T
    p_inv = np.linalg.inv(p_cov)
    diff = p_mean - q_mean
    _, logdet_p = np.linalg.slogdet(p_cov)
    _, logdet_q = np.linalg.slogdet(q_cov)
    return 0.5 * (np.trace(p_inv @ q_cov) + diff @ p_inv @ diff - T + logdet_p - logdet_q)


@pytest.mark.parametrize("case", CASES[:4])
@pytest.mark.parametrize("variance", d.VARIANCES)
def test_gap_is_the_kl_between_the_path_posteriors(case, variance):
    """log p_θ(x₀) − ELBO equals KL(q(x_{1:T}|x₀) ‖ p_θ(x_{1:T}|x₀)) computed with dense T-dimensional Gaussians."""
    T, kind, x0, m, s = case
    sched = d.make_schedule(T, kind)
    rev = perturbed(d.gaussian_reverse(sched, m, s, variance, "standard"), seed=T + 7, size=0.2)
    gap = d.ledger(x0, sched, rev).gap
    assert gap == pytest.approx(dense_gap(x0, sched, rev), rel=1e-6, abs=1e-9)
    assert gap > 0


@settings(max_examples=80, deadline=None)
@given(Ts, kinds, x0s, means, sds, means, sds, variances, priors)
def test_ledger_is_finite_and_the_gap_nonnegative_over_the_slider_range(T, kind, x0, m, s, m_hat, s_hat, var, prior):
    sched = d.make_schedule(T, kind)
    for rev in (d.gaussian_reverse(sched, m_hat, s_hat, var, prior), d.fit_reverse(sched, m, s)):
        led = d.ledger(x0, sched, rev)
        values = np.concatenate(
            [[led.log_evidence, led.reconstruction, led.prior_matching, led.elbo, led.gap], led.denoising]
        )
        assert np.all(np.isfinite(values))
        assert np.all(led.denoising >= 0) and led.prior_matching >= 0
        scale = 1.0 + abs(float(led.log_evidence)) + abs(float(led.reconstruction))
        assert led.gap >= -1e-10 * scale * T


@settings(max_examples=60, deadline=None)
@given(Ts, kinds, x0s, means, sds, sds)
def test_gap_vanishes_for_the_reverse_of_any_gaussian_data(T, kind, x0, m_hat, s_hat, s_data):
    """With the optimal kernels of *any* N(m̂, ŝ²) and the exact prior, p_θ(x_{0:T}) is the forward joint for
    that data, whose x_{1:T}|x₀ is q's: the gap is 0 and the ELBO is log N(x₀; m̂, ŝ²)."""
    sched = d.make_schedule(T, kind)
    led = d.ledger(x0, sched, d.gaussian_reverse(sched, m_hat, s_hat))
    exact = stats.norm(m_hat, s_hat).logpdf(x0)
    assert led.log_evidence == pytest.approx(exact, rel=1e-9, abs=1e-9)
    assert abs(led.gap) <= 1e-11 * (1.0 + abs(exact)) * (1.0 + T / 10)
    # the standard prior instead: the gap is small once x_T is nearly pure noise, but not zero
    led_std = d.ledger(x0, sched, d.gaussian_reverse(sched, m_hat, s_hat, prior="standard"))
    assert led_std.gap >= -1e-9 * (1.0 + abs(exact))


def test_optimal_kernels_are_the_regression_of_x_prev_on_x_t():
    """Simulate the forward process from Gaussian data and regress x_{t−1} on x_t: slope, intercept and
    residual variance are the optimal kernel's a_t, b_t, v_t (within Monte Carlo error)."""
    sched, m, s, n = d.make_schedule(8, "cosine"), 1.5, 0.4, 200_000
    rev = d.gaussian_reverse(sched, m, s)
    rng = np.random.default_rng(0)
    x_prev = m + s * rng.standard_normal(n)
    for t in range(1, 9):
        beta = sched.betas[t - 1]
        x_t = math.sqrt(1 - beta) * x_prev + math.sqrt(beta) * rng.standard_normal(n)
        fit = stats.linregress(x_t, x_prev)
        resid = x_prev - (fit.intercept + fit.slope * x_t)
        assert fit.slope == pytest.approx(rev.a[t - 1], abs=5 * fit.stderr + 1e-4)
        assert fit.intercept == pytest.approx(rev.b[t - 1], abs=5 * fit.intercept_stderr + 1e-4)
        assert resid.var() == pytest.approx(rev.var[t - 1], rel=0.02)
        x_prev = x_t
    assert rev.prior_mean == pytest.approx(x_prev.mean(), abs=0.01)
    assert rev.prior_var == pytest.approx(x_prev.var(), rel=0.02)


# --- T = 1 is the chapter's one-latent VAE (the ELBO page's toy model) --------------------------------


@settings(max_examples=100, deadline=None)
@given(st.floats(-4, 4), st.floats(-3, 3), st.floats(0.1, 3), st.floats(0.01, 0.99))
def test_one_step_diffusion_is_the_toy_model_with_a_fixed_encoder(x0, w, noise, beta):
    """T = 1, p(x₁) = N(0, 1), p_θ(x₀|x₁) = N(w x₁, noise²): the toy model with z = x₁ and the variational
    q(z) = q(x₁|x₀) = N(√(1−β) x₀, β). Its ledger (ELBO page) is the diffusion ledger."""
    sched = d.Schedule(np.array([beta]))
    led = d.ledger(x0, sched, d.Reverse(np.array([w]), np.array([0.0]), np.array([noise**2]), 0.0, 1.0))
    m, s = math.sqrt(1 - beta) * x0, math.sqrt(beta)
    assert led.denoising.shape == (0,)
    assert led.log_evidence == pytest.approx(toy_model.log_evidence(x0, w, noise), rel=1e-12, abs=1e-12)
    assert led.reconstruction == pytest.approx(toy_model.reconstruction_term(x0, w, noise, m, s), rel=1e-12, abs=1e-12)
    assert led.prior_matching == pytest.approx(toy_model.prior_kl(m, s), rel=1e-12, abs=1e-12)
    assert led.elbo == pytest.approx(toy_model.elbo(x0, w, noise, m, s), rel=1e-12, abs=1e-12)
    assert led.gap == pytest.approx(toy_model.posterior_kl(x0, w, noise, m, s), rel=1e-8, abs=1e-10)


# --- the fit: the expected ELBO over Gaussian data -----------------------------------------------------


@pytest.mark.parametrize("case", CASES[:4])
def test_expected_ledger_is_the_ledger_averaged_over_the_data(case):
    T, kind, _, m, s = case
    sched = d.make_schedule(T, kind)
    rev = perturbed(d.gaussian_reverse(sched, 0.0, 1.0, "beta", "standard"), seed=9)
    expected = d.expected_ledger(m, s, sched, rev)
    for name in ("log_evidence", "reconstruction", "prior_matching", "elbo"):
        oracle = hermite_expectation(lambda x, name=name: getattr(d.ledger(x, sched, rev), name), m, s**2)
        assert getattr(expected, name) == pytest.approx(oracle, rel=1e-10)
    oracle = hermite_expectation(lambda x: d.ledger(x, sched, rev).denoising.sum(axis=-1), m, s**2)
    assert expected.denoising.sum() == pytest.approx(oracle, rel=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_fit_maximizes_the_expected_elbo(case):
    T, kind, _, m, s = case
    sched = d.make_schedule(T, kind)
    fit = d.fit_reverse(sched, m, s)
    best = d.expected_ledger(m, s, sched, fit)
    # the maximum is the data's negative entropy, and the expected gap is 0
    assert best.elbo == pytest.approx(-0.5 * math.log(2 * math.pi * math.e * s**2), rel=1e-10)
    assert abs(best.gap) < 1e-9
    # every random move of the parameters lowers it
    for seed in range(5):
        assert d.expected_ledger(m, s, sched, perturbed(fit, seed, size=0.05)).elbo < best.elbo
    # a stationary point: central differences of the expected ELBO vanish in a_t, b_t and log v_t (log: some
    # v_t are ~1e-5, and the ELBO is quadratic in a_t, b_t but not in v_t)
    h = 1e-5
    for t in sorted({1, min(2, T), T}):
        for field in ("a", "b", "var"):
            moved = []
            for sign in (1, -1):
                values = getattr(fit, field).copy()
                values[t - 1] = values[t - 1] * math.exp(sign * h) if field == "var" else values[t - 1] + sign * h
                moved.append(float(d.expected_ledger(m, s, sched, fit._replace(**{field: values})).elbo))
            assert abs(moved[0] - moved[1]) / (2 * h) < 1e-6, (t, field)


def test_fit_with_the_standard_prior_keeps_n01_and_is_best_among_such_chains():
    sched, m, s = d.make_schedule(3, "cosine"), 2.0, 0.5  # ᾱ_T = 5e-4: N(0, 1) is not quite q(x_T)
    fit = d.fit_reverse(sched, m, s, prior="standard")
    assert (fit.prior_mean, fit.prior_var) == (0.0, 1.0)
    best = d.expected_ledger(m, s, sched, fit).elbo
    for seed in range(5):
        other = perturbed(fit, seed, size=0.05)._replace(prior_mean=0.0, prior_var=1.0)
        assert d.expected_ledger(m, s, sched, other).elbo < best
    # and the exact prior does better still, by the prior-matching term it removes
    assert d.expected_ledger(m, s, sched, d.fit_reverse(sched, m, s)).elbo > best
