"""vae_core.latent against independent oracles: the decoder called directly, torch.distributions,
scipy (normal quantiles, χ², dblquad on a toy model), Gauss–Hermite quadrature, a fine global
grid from vae_core.evaluate, Monte Carlo, and the identities of eqs. 1.4.10 and 1.4.12."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_core import latent
from vae_core.densities import bernoulli_log_likelihood
from vae_core.evaluate import log_px_grid

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

Z = st.floats(-4.0, 4.0, allow_nan=False)
DIGITS = (7, 118, 28)  # a well-fit 0; a 2 whose q sits beside its posterior; a 0 with a wide, two-lobed posterior


@pytest.fixture(scope="module")
def holdout():
    from vae_core.data import load_holdout_binary

    return load_holdout_binary()


@pytest.fixture(scope="module")
def posteriors(model, holdout):
    return {i: latent.digit_posterior(model, holdout[i]) for i in DIGITS}


# --- decoding, images, the manifold ---------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(z1=Z, z2=Z)
def test_decode_means_are_the_bernoulli_means_of_the_decoder(model, z1, z2):
    means = latent.decode_means(model, [z1, z2])
    with torch.no_grad():
        logits = model.decode(torch.tensor([[z1, z2]], dtype=torch.float32))
    expected = Bernoulli(logits=logits).mean.numpy()
    assert means.shape == (1, 784) and np.isfinite(means).all()
    assert means.min() >= 0.0 and means.max() <= 1.0
    np.testing.assert_allclose(means, expected, rtol=0, atol=1e-6)


def test_bernoulli_sample_frequencies_match_the_means():
    means = np.linspace(0.0, 1.0, 784)
    draws = np.stack([latent.bernoulli_sample(means, seed) for seed in range(2000)])
    assert set(np.unique(draws)) <= {0, 1}
    se = np.sqrt(means * (1 - means) / 2000) + 1e-9
    assert np.all(np.abs(draws.mean(axis=0) - means) <= 5 * se + 1e-12)
    # common random numbers: for one seed, a pixel is ink exactly when its mean passes its uniform
    low, high = latent.bernoulli_sample(0.3 * means, 7), latent.bernoulli_sample(means, 7)
    assert np.all(high >= low)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60))
def test_prior_quantile_axis_cells_hold_equal_prior_mass(n):
    axis = latent.prior_quantile_axis(n)
    cdf = 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in axis]))  # independent of scipy
    np.testing.assert_allclose(cdf, (np.arange(n) + 0.5) / n, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(z1=Z, z2=Z, n=st.integers(5, 30))
def test_manifold_cell_contains_z_and_its_centre(z1, z2, n):
    row, col = latent.manifold_cell((z1, z2), n)
    assert 0 <= row < n and 0 <= col < n
    u1, u2 = stats.norm.cdf(z1), stats.norm.cdf(z2)
    assert col / n <= u1 <= (col + 1) / n
    assert (n - 1 - row) / n <= u2 <= (n - row) / n
    centre = latent.manifold_latents(n)[row, col]
    assert latent.manifold_cell(centre, n) == (row, col)


def test_manifold_is_the_decoder_on_the_quantile_grid(model):
    n = 6
    grid = latent.manifold_latents(n)
    assert np.all(np.diff(grid[:, 0, 1]) < 0)  # row 0 at the top: z2 decreases down the rows
    assert np.all(np.diff(grid[0, :, 0]) > 0)  # z1 increases along a row
    images = latent.manifold(model, n)
    assert images.shape == (n, n, 784)
    for row, col in ((0, 0), (2, 5), (5, 3)):
        np.testing.assert_allclose(images[row, col], latent.decode_means(model, grid[row, col])[0], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(a1=Z, a2=Z, b1=Z, b2=Z, frames=st.integers(2, 20))
def test_interpolation_path_is_the_straight_segment(a1, a2, b1, b2, frames):
    path = latent.interpolation_path((a1, a2), (b1, b2), frames)
    assert path.shape == (frames, 2)
    np.testing.assert_allclose(path[0], (a1, a2), atol=1e-12)
    np.testing.assert_allclose(path[-1], (b1, b2), atol=1e-12)
    steps = np.diff(path, axis=0)
    np.testing.assert_allclose(steps, np.broadcast_to(steps[0], steps.shape), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(m1=Z, m2=Z, s1=st.floats(0.01, 3.0), s2=st.floats(0.01, 3.0), radius=st.floats(0.1, 3.0))
def test_ellipse_is_the_mahalanobis_level_set(m1, m2, s1, s2, radius):
    curve = latent.ellipse((m1, m2), (s1, s2), radius)
    mahalanobis = np.sqrt(((curve[:, 0] - m1) / s1) ** 2 + ((curve[:, 1] - m2) / s2) ** 2)
    np.testing.assert_allclose(mahalanobis, radius, rtol=1e-9)
    np.testing.assert_allclose(curve[0], curve[-1], atol=1e-9)  # closed


def test_mass_inside_matches_chi_square_and_monte_carlo():
    eps = np.random.default_rng(0).standard_normal((200_000, 2))
    radius_sq = (eps**2).sum(axis=1)
    for radius in (0.5, 1.0, 2.0, 3.0):
        assert latent.mass_inside(radius) == pytest.approx(stats.chi2.cdf(radius**2, df=2), abs=1e-12)
        assert latent.mass_inside(radius) == pytest.approx(np.mean(radius_sq <= radius**2), abs=4e-3)


def test_encode_and_the_ellipse_use_the_encoders_sigma(model, holdout):
    mu, sd = latent.encode(model, holdout[:20])
    with torch.no_grad():
        mu_t, logvar_t = model.encode(torch.as_tensor(holdout[:20], dtype=torch.float32))
    np.testing.assert_allclose(mu, mu_t.numpy(), atol=1e-6)
    np.testing.assert_allclose(sd, torch.exp(0.5 * logvar_t).numpy(), rtol=1e-6)
    curve = latent.ellipse(mu[3], sd[3], 1.0, points=5)  # angles 0, π/2, π, 3π/2, 2π
    np.testing.assert_allclose(
        curve[:4],
        [mu[3] + [sd[3, 0], 0], mu[3] + [0, sd[3, 1]], mu[3] - [sd[3, 0], 0], mu[3] - [0, sd[3, 1]]],
        atol=1e-9,
    )


# --- the true posterior of real digits ---------------------------------------------------------
def test_grid_posterior_integrates_to_one(posteriors):
    for post in posteriors.values():
        outside = math.exp(post.log_outside - post.log_px) if np.isfinite(post.log_outside) else 0.0
        assert post.posterior.sum() + outside == pytest.approx(1.0, abs=1e-9)
        assert outside < 1e-6
        assert post.q_mass == pytest.approx(1.0, abs=1e-6)  # q lies inside the window, resolved


def test_window_posterior_matches_evaluate_log_px_grid(model, holdout, posteriors):
    """Same window, same cells, computed by vae_core.evaluate's streaming quadrature."""
    for i, post in posteriors.items():
        centre = (0.5 * (post.z1[0] + post.z1[-1]), 0.5 * (post.z2[0] + post.z2[-1]))
        half = 0.5 * len(post.z1) * post.step
        grid = log_px_grid(model, holdout[i : i + 1], lim=half, n=len(post.z1), center=centre, return_posterior=True)
        assert float(grid.log_px[0]) == pytest.approx(post.log_px_window, abs=2e-3)
        inside = post.posterior / post.posterior.sum()
        np.testing.assert_allclose(grid.posterior[0].double().numpy(), inside, atol=5e-6)


def test_log_px_matches_a_fine_grid_over_the_whole_plane(model, holdout, posteriors):
    """A global 480² grid (spacing 0.025, finer than these posteriors' s.d.) over [−6, 6]²."""
    reference = log_px_grid(model, holdout[list(DIGITS)], n=480)
    for j, i in enumerate(DIGITS):
        assert posteriors[i].log_px == pytest.approx(float(reference.log_px[j]), abs=2e-3)


def test_log_px_is_stable_under_refining_the_grid(model, holdout, posteriors):
    for post in posteriors.values():
        values = list(post.log_px_spacings.values())
        assert abs(values[1] - values[0]) < 1e-3  # halving the resolution changes nothing
    finer = latent.digit_posterior(model, holdout[7], max_step=0.004, n_max=520)
    assert len(finer.z1) > len(posteriors[7].z1)
    assert finer.log_px == pytest.approx(posteriors[7].log_px, abs=1e-4)


def test_elbo_is_below_log_px_and_the_gap_is_the_posterior_kl(posteriors):
    for post in posteriors.values():
        assert post.elbo_quad < post.log_px
        assert post.kl_posterior > 0
        # eq. 1.4.10: log p(x) − ELBO = KL(q ‖ p(z|x)); the two quadratures differ only through
        # the grid's KL(q ‖ p(z)) against the closed form
        assert post.gap == pytest.approx(post.kl_posterior, abs=1e-3)


def test_recon_quadrature_matches_gauss_hermite(model, holdout, posteriors):
    """E_q[log p_θ(x|z)] by a 40 × 40 Gauss–Hermite rule under q (exact for polynomials of degree 79)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)  # ∫ f(t) e^{−t²/2} dt
    for i in (7, 118):
        post = posteriors[i]
        t1, t2 = np.meshgrid(nodes, nodes)
        z = np.stack([post.mu_q[0] + post.sd_q[0] * t1.ravel(), post.mu_q[1] + post.sd_q[1] * t2.ravel()], -1)
        w = np.outer(weights, weights).ravel() / (2 * math.pi)
        with torch.no_grad():
            loglik = bernoulli_log_likelihood(
                torch.as_tensor(holdout[i], dtype=torch.float32), model.decode(torch.as_tensor(z, dtype=torch.float32))
            )
        assert post.recon_quad == pytest.approx(float(np.sum(w * loglik.double().numpy())), abs=2e-3)


def test_elbo_estimate_agrees_with_quadrature_and_closed_form(model, holdout, posteriors):
    post = posteriors[118]
    estimate = latent.elbo_estimate(model, holdout[118], 4000, seed=3)
    assert estimate.recon_se > 0
    assert abs(estimate.recon - post.recon_quad) < 4 * estimate.recon_se
    q = Normal(torch.as_tensor(post.mu_q), torch.as_tensor(post.sd_q))
    prior = Normal(torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64))
    assert estimate.kl == pytest.approx(float(kl_divergence(q, prior).sum()), abs=1e-5)
    assert estimate.kl == pytest.approx(post.kl_prior, abs=1e-5)
    again = latent.elbo_estimate(model, holdout[118], 4000, seed=3)
    assert again == estimate  # seeded


def test_importance_weights_match_torch_distributions(model, holdout):
    x = holdout[118]
    result = latent.importance_estimate(model, x, 64, seed=1)
    z = torch.as_tensor(result.z, dtype=torch.float32)
    with torch.no_grad():
        mu, logvar = model.encode(torch.as_tensor(x[None], dtype=torch.float32))
        log_lik = Bernoulli(logits=model.decode(z)).log_prob(torch.as_tensor(x, dtype=torch.float32)).sum(-1)
    log_prior = Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_q = Normal(mu[0], torch.exp(0.5 * logvar[0])).log_prob(z).sum(-1)
    np.testing.assert_allclose(result.log_w, (log_lik + log_prior - log_q).double().numpy(), atol=2e-3)
    assert result.log_px == pytest.approx(float(torch.logsumexp(torch.as_tensor(result.log_w), 0)) - math.log(64))
    assert 1.0 <= result.ess <= 64.0 and result.se >= 0.0


def test_importance_estimates_rise_toward_log_px_and_stay_below_on_average(model, holdout, posteriors):
    ks = (1, 10, 100, 1000)
    for i in (7, 118):
        post = posteriors[i]
        sweep = latent.importance_sweep(model, holdout[i], ks, repeats=48, seed=5)
        means = sweep.mean(axis=1)
        ses = sweep.std(axis=1, ddof=1) / math.sqrt(sweep.shape[1])
        # k = 1 is a one-sample ELBO: its expectation is exactly the ELBO (eq. 1.4.12)
        assert abs(means[0] - post.elbo_quad) < 4 * ses[0]
        assert means[-1] - means[0] > 3 * math.hypot(ses[0], ses[-1])
        assert np.all(means <= post.log_px + 4 * ses + 1e-6)
        assert np.all(np.diff(means) > -4 * (ses[1:] + ses[:-1]))


def test_view_box_and_hpd_levels(posteriors):
    for post in posteriors.values():
        (cx, cy), half = post.view_box()
        for point in (post.mu_q, post.post_mean):
            assert abs(point[0] - cx) < half and abs(point[1] - cy) < half
        inner, outer = post.hpd_levels()
        density = post.posterior / post.step**2
        cell = post.posterior.max()
        for level, mass in ((inner, latent.mass_inside(1.0)), (outer, latent.mass_inside(2.0))):
            held = post.posterior[np.log(density) >= level - 1e-9].sum() / post.posterior.sum()
            assert mass - 1e-9 <= held <= mass + cell / post.posterior.sum() + 1e-9


# --- a toy decoder whose evidence scipy can integrate -----------------------------------------------
class ToyVAE(torch.nn.Module):
    """2-D latent, 3 Bernoulli pixels with logits z W + b; a fixed Gaussian q."""

    W = np.array([[2.0, -1.0, 0.5], [0.3, 1.5, -2.0]])
    B = np.array([0.2, -0.4, 0.1])

    def __init__(self, q_mu=(0.3, -0.2), q_sd=(0.4, 0.3)):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(self.W, dtype=torch.float32))
        self.bias = torch.nn.Parameter(torch.as_tensor(self.B, dtype=torch.float32))
        self.q_mu = torch.tensor(q_mu)
        self.q_logvar = 2 * torch.log(torch.tensor(q_sd))
        self.config = type("Config", (), {"z_dim": 2})()

    def encode(self, x):
        return self.q_mu.expand(x.shape[0], 2), self.q_logvar.expand(x.shape[0], 2)

    def decode(self, z):
        return z @ self.weight + self.bias


def test_toy_evidence_recon_and_gap_match_scipy_dblquad():
    toy, x = ToyVAE(), np.array([1.0, 0.0, 1.0])
    q_mu, q_sd = np.array([0.3, -0.2]), np.array([0.4, 0.3])
    # The integrands in plain floats (scipy calls them ~10⁶ times; numpy and scipy.stats per call cost
    # ~20× more and made this the slowest unit test): the same densities, written out.
    pixels = [(float(x[d]), float(ToyVAE.W[0, d]), float(ToyVAE.W[1, d]), float(ToyVAE.B[d])) for d in range(3)]
    log_2pi = math.log(2 * math.pi)
    (m1, m2), (s1, s2) = q_mu.tolist(), q_sd.tolist()

    def softplus(v):  # log(1 + e^v) = np.logaddexp(0, v)
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))

    def log_joint(z2, z1):
        log_lik = sum(xd * (z1 * w1 + z2 * w2 + b) - softplus(z1 * w1 + z2 * w2 + b) for xd, w1, w2, b in pixels)
        return log_lik - 0.5 * (z1 * z1 + z2 * z2) - log_2pi

    def log_q(z2, z1):
        u1, u2 = (z1 - m1) / s1, (z2 - m2) / s2
        return -0.5 * (u1 * u1 + u2 * u2) - math.log(s1 * s2) - log_2pi

    box = dict(a=-9, b=9, gfun=-9, hfun=9, epsabs=1e-12, epsrel=1e-10)
    evidence, _ = integrate.dblquad(lambda z2, z1: math.exp(log_joint(z2, z1)), **box)
    log_px = math.log(evidence)
    q_box = dict(
        a=q_mu[0] - 8 * q_sd[0],
        b=q_mu[0] + 8 * q_sd[0],
        gfun=q_mu[1] - 8 * q_sd[1],
        hfun=q_mu[1] + 8 * q_sd[1],
        epsabs=1e-10,
        epsrel=1e-10,
    )

    def log_lik(z2, z1):
        return log_joint(z2, z1) + 0.5 * (z1 * z1 + z2 * z2) + math.log(2 * math.pi)

    recon, _ = integrate.dblquad(lambda z2, z1: math.exp(log_q(z2, z1)) * log_lik(z2, z1), **q_box)
    gap, _ = integrate.dblquad(
        lambda z2, z1: math.exp(log_q(z2, z1)) * (log_q(z2, z1) - log_joint(z2, z1) + log_px), **q_box
    )
    post = latent.digit_posterior(toy, x)
    assert post.log_px == pytest.approx(log_px, abs=1e-4)
    # P_posterior(z in q's 2σ ellipse) = E_q[1{inside} p(x, z) / q(z)] / p(x), by Monte Carlo over q
    z = q_mu + q_sd * np.random.default_rng(0).standard_normal((200_000, 2))
    logits = z @ ToyVAE.W + ToyVAE.B
    log_w = (
        (x * logits - np.logaddexp(0.0, logits)).sum(-1)
        + stats.norm.logpdf(z).sum(-1)
        - stats.norm.logpdf(z, q_mu, q_sd).sum(-1)
        - log_px
    )
    inside = (((z - q_mu) / q_sd) ** 2).sum(-1) <= 4.0
    share = np.exp(log_w) * inside
    assert post.mass_in_q(2.0) == pytest.approx(share.mean(), abs=4 * share.std() / math.sqrt(len(share)))
    assert post.mass_in_q(1.0) < post.mass_in_q(2.0) < post.mass_in_q(50.0) == pytest.approx(1.0, abs=1e-6)
    assert post.recon_quad == pytest.approx(recon, abs=1e-4)
    assert post.kl_posterior == pytest.approx(gap, abs=1e-4)
    assert post.posterior.sum() == pytest.approx(1.0, abs=1e-7)
