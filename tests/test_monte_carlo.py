"""vae_core.monte_carlo against independent oracles: scipy quadrature (stats.norm.expect), torch's KL,
brute-force numpy prefixes, and Monte Carlo over many seeds."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from tests.mc_reference import iwae_repeats, iwae_runs, log_mean_exp, run_values
from vae_core.monte_carlo import (
    TARGETS,
    TOY_TARGETS,
    Toy,
    checkpoints,
    chi_square,
    convergence,
    estimator_repeats,
    exact_moments,
    histogram,
    lattice_step,
    loglog_slope,
    pooled_estimate,
    quadrature_moments,
    running_log_mean_exp,
    running_mean_se,
    toy_views,
)
from vae_core.toy_model import elbo, log_evidence, posterior, posterior_kl

# The ELBO page's slider ranges, shared by the Monte Carlo page.
toys = st.builds(
    Toy,
    x=st.floats(-4.0, 4.0),
    w=st.floats(-3.0, 3.0),
    noise=st.floats(0.1, 3.0),
    m=st.floats(-4.0, 4.0),
    s=st.floats(0.1, 3.0),
)
TOYS = [Toy(), Toy(2.0, 1.5, 0.8, 0.3, 0.6), Toy(-4.0, 3.0, 0.1, 4.0, 3.0), Toy(0.5, -0.7, 1.2, -1.0, 0.4)]
NOT_PRIOR = Toy(2.0, 1.5, 0.8, 0.3, 0.6)  # q ≠ p(z), so the KL target has a spread


def scipy_moments(target, toy):
    """E f and Var f with scipy's own quadrature over the sampling distribution (no vae_core code)."""
    if target == "pi":
        p = integrate.dblquad(lambda u2, u1: 1.0, 0, 1, 0, lambda u1: math.sqrt(1 - u1 * u1))[0]
        return 4 * p, 16 * p * (1 - p)
    if target in TOY_TARGETS:
        dist = stats.norm(toy.m, toy.s)
        if target == "recon":

            def f(z):
                return stats.norm(toy.w * z, toy.noise).logpdf(toy.x)
        else:

            def f(z):
                return dist.logpdf(z) - stats.norm(0, 1).logpdf(z)
    else:
        dist = stats.norm(0, 1)
        f = {"square": lambda v: v * v, "exp": math.exp, "tail": lambda v: float(v > 2)}[target]
    kw = {"lb": toy.m - 30 * toy.s, "ub": toy.m + 30 * toy.s} if target in TOY_TARGETS else {"lb": -40, "ub": 40}
    if target == "tail":
        kw = {"lb": 2.0, "ub": np.inf}
    mean = dist.expect(f, **kw, epsabs=0, epsrel=1e-11, limit=400)
    if target == "tail":
        return mean, mean * (1 - mean)
    return mean, dist.expect(lambda v: (f(v) - mean) ** 2, **kw, epsabs=0, epsrel=1e-11, limit=400)


# --- exact moments ----------------------------------------------------------------------------

MOMENT_CASES = [(t, toy) for t in TOY_TARGETS for toy in TOYS] + [(t, Toy()) for t in TARGETS if t not in TOY_TARGETS]


@pytest.mark.parametrize(("target", "toy"), MOMENT_CASES)
def test_exact_moments_match_scipy_quadrature(target, toy):
    mean, var = exact_moments(target, toy)
    oracle_mean, oracle_var = scipy_moments(target, toy)
    assert mean == pytest.approx(oracle_mean, rel=1e-7, abs=1e-9)
    assert var == pytest.approx(oracle_var, rel=1e-6, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(toy=toys, target=st.sampled_from(TARGETS))
def test_page_check_quadrature_agrees_with_closed_form(toy, target):
    """The page's "check" expander (quadrature_moments) agrees with the closed form over the slider range."""
    mean, var = exact_moments(target, toy)
    q_mean, q_var = quadrature_moments(target, toy)
    assert math.isfinite(mean) and var >= 0
    assert q_mean == pytest.approx(mean, rel=1e-7, abs=1e-9)
    assert q_var == pytest.approx(var, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("toy", TOYS)
def test_kl_target_mean_matches_torch(toy):
    q = torch.distributions.Normal(torch.tensor(toy.m, dtype=torch.float64), torch.tensor(toy.s, dtype=torch.float64))
    p = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    assert exact_moments("kl", toy)[0] == pytest.approx(torch.distributions.kl_divergence(q, p).item(), abs=1e-12)


def test_textbook_constants():
    assert exact_moments("pi")[0] == math.pi
    assert exact_moments("exp") == pytest.approx((math.exp(0.5), math.exp(2) - math.exp(1)))
    assert exact_moments("tail")[0] == pytest.approx(0.5 * special.erfc(math.sqrt(2)), rel=1e-14)


# --- unbiasedness, 1/√L, the CLT ----------------------------------------------------------------


@pytest.mark.parametrize("L", [1, 7, 100])
@pytest.mark.parametrize("target", TARGETS)
def test_estimators_are_unbiased_over_many_seeds(target, L):
    toy = NOT_PRIOR
    estimates = np.array([convergence(target, L, 1, seed, toy).mean[0, -1] for seed in range(300)])
    mean, var = exact_moments(target, toy)
    se = math.sqrt(var / (L * estimates.size))
    assert abs(estimates.mean() - mean) < 4 * se


@pytest.mark.parametrize("target", TARGETS)
def test_repeats_spread_is_sigma_over_root_L(target):
    """The histogram's sample: mean E f, standard deviation σ/√L (the CLT normal's parameters)."""
    toy, L, repeats = NOT_PRIOR, 40, 4000
    q = estimator_repeats(target, L, repeats, seed=5, toy=toy)
    mean, var = exact_moments(target, toy)
    assert abs(q.mean() - mean) < 4 * math.sqrt(var / L / repeats)
    assert q.std(ddof=1) == pytest.approx(math.sqrt(var / L), rel=0.08)


def test_standard_error_scales_as_inverse_root_L():
    """Spread of Q_L across repeats at L = 4 … 4096 has log–log slope −½."""
    Ls = np.array([4, 16, 64, 256, 1024, 4096])
    sds = np.array([estimator_repeats("exp", int(L), 1500, seed=11).std(ddof=1) for L in Ls])
    assert loglog_slope(Ls, sds, n_min=1) == pytest.approx(-0.5, abs=0.04)


@pytest.mark.parametrize("target", ["recon", "pi", "square", "tail"])
def test_running_standard_errors_track_sigma_over_root_n(target):
    c = convergence(target, 100_000, 8, seed=2)
    typical = np.median(c.se, axis=0)
    assert loglog_slope(c.n, typical, n_min=100) == pytest.approx(-0.5, abs=0.02)
    np.testing.assert_allclose(c.se[:, -1], c.sd / math.sqrt(100_000), rtol=0.05)
    rms = np.sqrt(np.mean((c.mean - c.exact) ** 2, axis=0))
    assert loglog_slope(c.n, rms, n_min=100) == pytest.approx(-0.5, abs=0.2)


def test_errors_stay_inside_two_standard_errors_about_95_percent_of_the_time():
    c = convergence("square", 2_000, 50, seed=9)
    inside = np.abs(c.mean[:, -1] - c.exact) < 2 * c.sd / math.sqrt(2_000)
    assert 0.8 <= inside.mean() <= 1.0


def test_zero_variance_estimator():
    """q = p(z): every log q(z)/p(z) is exactly 0, and the page's KL target never moves."""
    c = convergence("kl", 1_000, 3, seed=0, toy=Toy())
    assert c.exact == 0.0 and c.sd == 0.0
    assert np.all(c.mean == 0.0) and np.all(c.se[:, 1:] == 0.0)


# --- running means: brute-force oracle ------------------------------------------------------------


def test_checkpoints():
    n = checkpoints(100_000)
    assert n[0] == 1 and n[-1] == 100_000 and np.all(np.diff(n) > 0) and len(n) <= 300
    np.testing.assert_array_equal(checkpoints(50), np.arange(1, 51))
    assert list(checkpoints(1)) == [1]


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_running_mean_se_matches_prefix_statistics(offset):
    values = offset + np.random.default_rng(0).standard_normal((3, 500)) * 2.0
    n = checkpoints(500, 40)
    mean, se = running_mean_se(values, n)
    for k, count in enumerate(n):
        prefix = values[:, :count]
        np.testing.assert_allclose(mean[:, k], prefix.mean(axis=1), rtol=1e-13)
        if count > 1:
            np.testing.assert_allclose(se[:, k], prefix.std(axis=1, ddof=1) / math.sqrt(count), rtol=1e-7)
        else:
            assert np.all(np.isnan(se[:, k]))


# --- reproducibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_reproducible_by_seed(target):
    a = convergence(target, 3_000, 4, seed=42, toy=NOT_PRIOR)
    b = convergence(target, 3_000, 4, seed=42, toy=NOT_PRIOR)
    c = convergence(target, 3_000, 4, seed=43, toy=NOT_PRIOR)
    np.testing.assert_array_equal(a.mean, b.mean)
    assert not np.array_equal(a.mean, c.mean)
    np.testing.assert_array_equal(
        estimator_repeats(target, 10, 50, 1, NOT_PRIOR), estimator_repeats(target, 10, 50, 1, NOT_PRIOR)
    )


@pytest.mark.parametrize("target", ["recon", "pi"])
def test_more_samples_or_runs_extend_the_same_paths(target):
    """Raising L continues each run's path; raising the run count keeps the earlier runs."""
    short = run_values(target, 1_000, 3, seed=7, toy=NOT_PRIOR)
    long = run_values(target, 20_000, 5, seed=7, toy=NOT_PRIOR)
    np.testing.assert_array_equal(long[:3, :1_000], short)


def test_toy_targets_and_iwae_share_the_draws():
    """recon, kl and the IWAE weights all evaluate the same zₗ = m + s·εₗ."""
    toy = NOT_PRIOR
    recon = run_values("recon", 200, 2, 3, toy)
    kl = run_values("kl", 200, 2, 3, toy)
    it = iwae_runs(200, 2, 3, toy)
    # log w = log p(x|z) + log p(z) − log q(z) = recon − kl, sample by sample
    np.testing.assert_allclose(it.avg_log, (recon - kl).cumsum(axis=1)[:, it.n - 1] / it.n, rtol=1e-12, atol=1e-12)


# --- histogram ---------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(L=st.sampled_from([1, 2, 5, 10, 100]), target=st.sampled_from(TARGETS), seed=st.integers(0, 2**31 - 1))
def test_histogram_is_a_density_and_respects_the_lattice(L, target, seed):
    values = estimator_repeats(target, L, 300, seed, NOT_PRIOR)
    step = lattice_step(target)
    edges, density = histogram(values, lattice=step / L if step else None)
    assert np.all(np.isfinite(density)) and np.all(density >= 0)
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)
    if step:  # every value sits in the middle of a bin, never on an edge
        where = (values[:, None] - edges[None, :-1]) / np.diff(edges)[None, :]
        inside = (where >= 0) & (where < 1)
        position = where[inside]
        width_in_steps = np.diff(edges)[0] / (step / L)
        assert np.all(np.abs(position * width_in_steps - np.round(position * width_in_steps - 0.5) - 0.5) < 1e-6)


def test_histogram_of_a_constant():
    edges, density = histogram(np.full(10, 3.0))
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)


# --- log-mean-exp and IWAE ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-700, 700), min_size=1, max_size=30), st.floats(-1e4, 1e4))
def test_log_mean_exp_is_jensen_above_the_mean_and_shift_equivariant(values, shift):
    v = np.array(values)
    lme = log_mean_exp(v)
    assert lme >= v.mean() - 1e-9 * max(1.0, abs(v.mean()))  # log of a mean ≥ mean of logs (eq. 1.4.5)
    assert lme <= v.max() + 1e-9
    assert log_mean_exp(v + shift) == pytest.approx(lme + shift, abs=1e-9 * max(1.0, abs(shift)))
    small = v[v > -300]
    if small.size == v.size:
        assert lme == pytest.approx(math.log(np.mean(np.exp(v))), abs=1e-9)


def test_running_log_mean_exp_matches_prefixes_even_with_a_late_huge_weight():
    log_w = np.concatenate([np.full(10, -5000.0), [0.0], np.random.default_rng(1).normal(-3, 2, 300)])[None, :]
    n = checkpoints(log_w.shape[1], 60)
    running = running_log_mean_exp(log_w, n)
    brute = [log_mean_exp(log_w[0, :k]) for k in n]
    np.testing.assert_allclose(running[0], brute, rtol=1e-12)
    assert running[0, 0] == pytest.approx(-5000.0)  # not −inf: early weights do not underflow


def test_iwae_starts_at_the_elbo_sample_and_is_always_above_the_average_log_weight():
    it = iwae_runs(5_000, 6, 0)
    np.testing.assert_allclose(it.iwae[:, 0], it.avg_log[:, 0])  # L = 1: log w₁ both ways
    assert np.all(it.iwae >= it.avg_log - 1e-10)  # Jensen, path by path
    assert it.log_px == pytest.approx(float(log_evidence(1.5, 1.0, 0.5)))
    assert it.elbo == pytest.approx(float(elbo(1.5, 1.0, 0.5, 0.0, 1.0)))


@pytest.mark.parametrize("toy", [Toy(), NOT_PRIOR])
def test_iwae_bound_rises_monotonically_in_expectation_and_stays_below_log_px(toy):
    repeats, Ls = 20_000, [1, 2, 4, 8, 32, 128]
    means, ses = [], []
    for L in Ls:
        est = iwae_repeats(L, repeats, seed=L, toy=toy)
        means.append(est.mean())
        ses.append(est.std(ddof=1) / math.sqrt(repeats))
    means, ses = np.array(means), np.array(ses)
    log_px, lower = float(log_evidence(toy.x, toy.w, toy.noise)), float(elbo(*toy))
    assert abs(means[0] - lower) < 4 * ses[0]  # L = 1 is the ELBO
    steps = np.diff(means)
    assert np.all(steps > -3 * np.hypot(ses[1:], ses[:-1]))  # monotone in expectation
    assert steps.sum() > 0 and means[-1] - means[0] > 10 * ses[0]  # and it really rises
    assert np.all(means < log_px + 3 * ses)  # a lower bound on log p(x)
    # the remaining bias is close to the delta method's χ²/(2L) at the largest L
    bias = log_px - means[-1]
    assert bias == pytest.approx(chi_square(toy) / (2 * Ls[-1]), rel=0.25, abs=4 * ses[-1])


@pytest.mark.parametrize("toy", TOYS + [Toy(0.0, 0.0, 1.0, 0.5, 0.9)])
def test_chi_square_matches_quadrature(toy):
    mean, sd = (float(v) for v in posterior(toy.x, toy.w, toy.noise))
    if 1 / toy.s**2 >= 2 / sd**2:
        assert chi_square(toy) == math.inf
        return
    post, q = stats.norm(mean, sd), stats.norm(toy.m, toy.s)
    second, _ = integrate.quad(
        lambda z: math.exp(2 * post.logpdf(z) - q.logpdf(z)), mean - 40 * sd, mean + 40 * sd, points=[mean], limit=400
    )
    assert chi_square(toy) == pytest.approx(second - 1, rel=1e-6, abs=1e-10)


def test_chi_square_is_zero_at_the_posterior_and_infinite_for_narrow_q():
    mean, sd = (float(v) for v in posterior(1.5, 1.0, 0.5))
    assert chi_square(Toy(1.5, 1.0, 0.5, mean, sd)) == pytest.approx(0.0, abs=1e-12)
    assert chi_square(Toy(1.5, 1.0, 0.5, mean, 0.7 * sd)) == math.inf
    assert posterior_kl(1.5, 1.0, 0.5, mean, sd) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(toy=toys, seed=st.integers(0, 2**31 - 1))
def test_everything_finite_over_the_slider_range(toy, seed):
    for target in TOY_TARGETS:
        c = convergence(target, 300, 3, seed, toy)
        assert np.all(np.isfinite(c.mean)) and np.all(np.isfinite(c.se[:, 1:]))
        assert math.isfinite(c.exact) and math.isfinite(c.sd)
    it = iwae_runs(300, 3, seed, toy)
    assert np.all(np.isfinite(it.iwae)) and np.all(np.isfinite(it.avg_log))
    assert np.all(it.iwae >= it.avg_log - 1e-9 * np.maximum(1, np.abs(it.avg_log)))
    assert chi_square(toy) >= 0


def test_loglog_slope_recovers_a_power_law():
    n = np.geomspace(1, 1e5, 50)
    assert loglog_slope(n, 3 * n**-0.5) == pytest.approx(-0.5, abs=1e-12)
    assert math.isnan(loglog_slope(n, np.zeros_like(n)))


def test_pooled_estimate_matches_all_samples_at_once():
    values = run_values("exp", 400, 5, seed=3)
    conv = convergence("exp", 400, 5, seed=3)
    mean, se = pooled_estimate(conv)
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    assert se == pytest.approx(values.std(ddof=1) / math.sqrt(values.size), rel=1e-9)


@pytest.mark.parametrize("toy", [Toy(), NOT_PRIOR, Toy(-4.0, 3.0, 0.1, 4.0, 0.1)])
def test_toy_views_equal_the_separate_computations(toy):
    """One pass over the draws (the page's cache) gives the same numbers as the three separate functions."""
    views = toy_views(3_000, 4, 8, toy, points=50)
    for target in TOY_TARGETS:
        alone = convergence(target, 3_000, 4, 8, toy, points=50)
        conv = getattr(views, target)
        np.testing.assert_array_equal(conv.n, alone.n)
        np.testing.assert_allclose(conv.mean, alone.mean, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(conv.se, alone.se, rtol=1e-12, atol=1e-13)
        assert (conv.exact, conv.sd) == (alone.exact, alone.sd)
    it = iwae_runs(3_000, 4, 8, toy, points=50)  # log weights via toy_model.log_weights
    scale = max(1.0, float(np.abs(it.avg_log).max()))
    np.testing.assert_allclose(views.iwae.iwae, it.iwae, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(views.iwae.avg_log, it.avg_log, rtol=0, atol=1e-11 * scale)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1_000])
@pytest.mark.parametrize("target", ["recon", "tail", "exp"])
def test_blockwise_accumulation_equals_the_whole_array_oracle(target, chunk):
    """The page never holds a run's L draws at once; small blocks (checkpoints on, between and inside
    block edges) must give what the whole (runs, L) array gives: running_mean_se and log-mean-exp of
    prefixes, computed directly."""
    L, runs, seed, toy = 2_345, 3, 11, NOT_PRIOR
    n = checkpoints(L, 60)
    conv = convergence(target, L, runs, seed, toy, points=60, chunk=chunk)
    mean, se = running_mean_se(run_values(target, L, runs, seed, toy), n)
    np.testing.assert_allclose(conv.mean, mean, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(conv.se[:, 1:], se[:, 1:], rtol=1e-7, atol=1e-12)
    views = toy_views(L, runs, seed, toy, points=60, chunk=chunk)
    log_w = run_values("recon", L, runs, seed, toy) - run_values("kl", L, runs, seed, toy)
    for k, count in enumerate(n):
        prefix = log_w[:, :count]
        np.testing.assert_allclose(views.iwae.avg_log[:, k], prefix.mean(axis=1), rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(
            views.iwae.iwae[:, k], special.logsumexp(prefix, axis=1) - math.log(count), rtol=1e-11, atol=1e-11
        )
