"""Likelihood tools (vae_core.evaluate) against independent oracles on toy models whose
log p(x) is known, then on the shipped model against its model card."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from vae_core.densities import bernoulli_log_likelihood, log_standard_normal
from vae_core.evaluate import elbo_terms, grid_axis, log_px_grid, log_px_importance, log_px_refined

pytestmark = pytest.mark.usefixtures("one_cpu_thread")


class ToyVAE(torch.nn.Module):
    """A 2-D latent, D-pixel "VAE" with a linear decoder ℓ(z) = z W + b and a fixed Gaussian q."""

    def __init__(self, weight, bias, q_mu=(0.0, 0.0), q_logvar=(0.0, 0.0)):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))  # (2, D)
        self.bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))  # (D,)
        self.q_mu = torch.as_tensor(q_mu, dtype=torch.float32)
        self.q_logvar = torch.as_tensor(q_logvar, dtype=torch.float32)
        self.config = type("Config", (), {"z_dim": 2})()

    def encode(self, x):
        batch = x.shape[0]
        return self.q_mu.expand(batch, 2), self.q_logvar.expand(batch, 2)

    def decode(self, z):
        return z @ self.weight + self.bias


W = np.array([[2.0, -1.0, 0.5], [0.3, 1.5, -2.0]])
B = np.array([0.2, -0.4, 0.1])
X = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]])


def scipy_log_px(x):
    """log ∫ Π_d Bernoulli(x_d; σ(ℓ_d(z))) N(z; 0, I) dz by adaptive quadrature (scipy)."""

    def integrand(z2, z1):
        logits = np.array([z1, z2]) @ W + B
        log_lik = np.sum(x * logits - np.logaddexp(0.0, logits))
        return math.exp(log_lik - 0.5 * (z1 * z1 + z2 * z2) - math.log(2 * math.pi))

    value, _ = integrate.dblquad(integrand, -9, 9, -9, 9, epsabs=1e-12, epsrel=1e-10)
    return math.log(value)


@pytest.fixture(scope="module")
def oracle():
    return torch.tensor([scipy_log_px(x.numpy()) for x in X])


def test_grid_quadrature_matches_scipy_on_a_toy_decoder(oracle):
    model = ToyVAE(W, B)
    grid = log_px_grid(model, X, n=300)
    torch.testing.assert_close(grid.log_px, oracle.float(), atol=1e-4, rtol=0)


def test_grid_posterior_is_normalized_and_consistent(oracle):
    model = ToyVAE(W, B)
    grid = log_px_grid(model, X, n=120, return_posterior=True)
    post = grid.posterior
    assert post.shape == (3, 120, 120)
    torch.testing.assert_close(post.sum(dim=(1, 2)), torch.ones(3))
    # Bayes on the grid: p(z|x) ∝ p(x|z) p(z), so log ratio of two cells matches the model
    zz1, zz2 = np.meshgrid(grid.z1, grid.z2)  # (n2, n1) as the posterior's axes
    z = torch.tensor(np.stack([zz1[5, 60], zz2[5, 60]]), dtype=torch.float32)
    z0 = torch.tensor(np.stack([zz1[60, 60], zz2[60, 60]]), dtype=torch.float32)
    with torch.no_grad():
        log_joint = [bernoulli_log_likelihood(X[0], model.decode(v[None]))[0] + log_standard_normal(v) for v in (z, z0)]
    ratio = torch.log(post[0, 5, 60]) - torch.log(post[0, 60, 60])
    assert float(ratio) == pytest.approx(float(log_joint[0] - log_joint[1]), abs=1e-3)
    # the mean of the grid posterior matches the cells' weighted mean
    mean1 = float((post[0].sum(0) * torch.as_tensor(grid.z1, dtype=torch.float32)).sum())
    assert float(grid.mean[0, 0]) == pytest.approx(mean1, abs=1e-4)


def test_grid_axis_is_cell_centres():
    axis = grid_axis(6.0, 4)
    np.testing.assert_allclose(axis, [-4.5, -1.5, 1.5, 4.5])


# A separable decoder: pixels 0-2 depend on z1 only, pixels 3-5 on z2 only, with steep logits
# (slopes 40-60), so the posterior is a kinked plateau ~0.02 wide, and log p(x) is a sum of
# two 1-D integrals that scipy.quad computes to ~1e-10.
SLOPES = np.array([60.0, -60.0, 40.0, 50.0, -50.0, 30.0])
THRESHOLDS = np.array([0.5, 0.52, 0.3, -1.0, -0.985, -1.2])
W_NARROW = np.zeros((2, 6))
W_NARROW[0, :3], W_NARROW[1, 3:] = SLOPES[:3], SLOPES[3:]
B_NARROW = -SLOPES * THRESHOLDS
X_NARROW = np.ones(6)


def scipy_log_px_separable():
    total = 0.0
    for pixels in (slice(0, 3), slice(3, 6)):
        slopes, thresholds = SLOPES[pixels], THRESHOLDS[pixels]

        def integrand(t, slopes=slopes, thresholds=thresholds):
            logits = slopes * (t - thresholds)
            return math.exp(-np.sum(np.logaddexp(0.0, -logits)) - 0.5 * t * t) / math.sqrt(2 * math.pi)

        value, _ = integrate.quad(integrand, -9, 9, points=sorted(thresholds), limit=500, epsabs=1e-14)
        total += math.log(value)
    return total


def test_grid_quadrature_on_a_narrow_posterior_and_its_refinement_check():
    model = ToyVAE(W_NARROW, B_NARROW)
    x = torch.tensor(X_NARROW[None], dtype=torch.float32)
    exact = scipy_log_px_separable()
    grid = log_px_grid(model, x, n=1000)
    assert float(grid.sd.max()) < 0.05  # a posterior about as narrow as a trained VAE's
    assert float(grid.log_px[0]) == pytest.approx(exact, abs=1e-3)  # spacing 0.012 suffices
    # a coarse grid (spacing 0.06) is off; the zoomed re-integration recovers the value
    coarse = log_px_refined(model, x, n=200, n_zoom=200)
    assert bool(coarse.zoomed[0])
    assert abs(float(coarse.coarse[0]) - exact) > 0.01
    assert float(coarse.refined[0]) == pytest.approx(exact, abs=1e-3)


def test_importance_sampling_with_the_prior_as_proposal_converges_to_the_oracle(oracle):
    model = ToyVAE(W, B)  # q = p(z): the weights are the likelihoods, unbiased for p(x)
    estimate = log_px_importance(model, X, k=200_000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(estimate, oracle.float(), atol=0.02, rtol=0)


def test_importance_sampling_rises_with_k_toward_the_grid(oracle):
    model = ToyVAE(W, B, q_mu=(0.5, -0.5), q_logvar=(-1.0, -1.0))  # a poor proposal
    gen = torch.Generator().manual_seed(1)
    xs = X.repeat(200, 1)  # 600 images: the average over repeats is the expectation
    means = [float(log_px_importance(model, xs, k=k, generator=gen).mean()) for k in (1, 10, 100, 1000)]
    terms = elbo_terms(model, xs, n_samples=1, generator=gen)
    assert means == sorted(means)
    assert means[0] == pytest.approx(float(terms.elbo.mean()), abs=0.3)  # k = 1 is the ELBO
    assert means[-1] < float(oracle.repeat(200).mean()) + 0.01  # still a lower bound on average


def test_elbo_terms_against_a_direct_monte_carlo():
    model = ToyVAE(W, B, q_mu=(0.3, 0.2), q_logvar=(-0.5, -1.0))
    terms = elbo_terms(model, X, n_samples=50_000, generator=torch.Generator().manual_seed(2))
    rng = np.random.default_rng(3)
    z = np.array([0.3, 0.2]) + np.exp(0.5 * np.array([-0.5, -1.0])) * rng.standard_normal((50_000, 2))
    logits = z @ W + B
    for i, x in enumerate(X.numpy()):
        direct = np.mean(np.sum(x * logits - np.logaddexp(0.0, logits), axis=1))
        assert float(terms.recon[i]) == pytest.approx(direct, abs=5 * float(terms.recon_se[i]) + 1e-3)
    mu, var = np.array([0.3, 0.2]), np.exp([-0.5, -1.0])
    kl = 0.5 * np.sum(mu**2 + var - 1 - np.log(var))
    torch.testing.assert_close(terms.kl, torch.full((3,), float(kl)), atol=1e-5, rtol=0)
    assert (terms.recon_se > 0).all()
    torch.testing.assert_close(terms.elbo, terms.recon - terms.kl)


def test_grid_rejects_other_latent_sizes():
    model = ToyVAE(W, B)
    model.config.z_dim = 3
    with pytest.raises(ValueError, match="2-D"):
        log_px_grid(model, X)


# --- the shipped model against its model card -------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    import vae_core
    from vae_core.checkpoint import load_model_card
    from vae_core.data import load_holdout_binary

    x = torch.as_tensor(load_holdout_binary()).float()  # (500, 784), the card's fixed bits
    return vae_core.load_pretrained(device="cpu"), load_model_card(), x


def test_shipped_model_reproduces_the_card_elbo(shipped):
    model, card, x = shipped
    terms = elbo_terms(model, x, n_samples=20, generator=torch.Generator().manual_seed(0))
    assert float(-terms.elbo.mean()) == pytest.approx(card["holdout"]["neg_elbo"]["mean"], abs=0.5)
    assert float(terms.kl.mean()) == pytest.approx(card["holdout"]["kl"], abs=1e-3)  # closed form: exact


@pytest.fixture(scope="module")
def shipped_grid(shipped):
    """log p(x) of the 500 holdout digits on a 500² grid (the costliest number here: computed once)."""
    model, _, x = shipped
    return log_px_grid(model, x, n=500).log_px


def test_shipped_model_reproduces_the_card_grid_log_px(shipped, shipped_grid):
    """A 500² grid (spacing 0.024, the narrowest posterior s.d. is ~0.016) gives the card's 1000² value."""
    _, card, _ = shipped
    assert float(-shipped_grid.mean()) == pytest.approx(card["holdout"]["neg_log_px_grid"]["mean"], abs=0.01)


def test_shipped_model_estimates_are_ordered(shipped, shipped_grid):
    """ELBO ≤ IS(k) rising with k ≤ grid log p(x), on average over a stratified 100-digit subset."""
    model, _, x = shipped
    x = x[::5]
    gen = torch.Generator().manual_seed(1)
    elbo = float(elbo_terms(model, x, n_samples=50, generator=gen).elbo.mean())
    is_means = [float(log_px_importance(model, x, k, generator=gen).mean()) for k in (1, 50, 1000)]
    exact = float(shipped_grid[::5].mean())  # each digit's grid value is its own: the same subset
    assert is_means[0] == pytest.approx(elbo, abs=0.5)  # k = 1 is a one-sample ELBO
    assert elbo < is_means[1] < is_means[2] < exact
    assert exact - is_means[2] > 2.0  # narrow posteriors: IS with k = 1000 still falls short by nats
