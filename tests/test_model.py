"""The VAE module and the closed-form terms of eq. 1.4.12, against torch.distributions."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_core.data import N_PIXELS
from vae_core.densities import bernoulli_log_likelihood, kl_to_standard_normal, log_diag_normal
from vae_core.model import VAE, VAEConfig

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

SMALL = VAEConfig(encoder_hidden=[32], decoder_hidden=[16, 32], encoder_activation="tanh", decoder_activation="elu")


def test_bernoulli_log_likelihood_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    logits = 4 * torch.randn(6, N_PIXELS, generator=gen)
    x = torch.bernoulli(torch.full((6, N_PIXELS), 0.3), generator=gen)
    expected = Bernoulli(logits=logits).log_prob(x).sum(-1)
    torch.testing.assert_close(bernoulli_log_likelihood(x, logits), expected, rtol=1e-5, atol=1e-3)


def test_bernoulli_log_likelihood_is_finite_for_extreme_logits():
    logits = torch.tensor([[-200.0, 200.0, 0.0, 80.0]])
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    value = bernoulli_log_likelihood(x, logits)
    assert torch.isfinite(value).all()
    assert value.item() == pytest.approx(-200 - 200 - math.log(2), abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    mu=st.lists(st.floats(-10, 10), min_size=2, max_size=2),
    logvar=st.lists(st.floats(-12, 6), min_size=2, max_size=2),
)
def test_kl_closed_form_matches_torch_kl_divergence(mu, logvar):
    mu_t, logvar_t = torch.tensor([mu], dtype=torch.float64), torch.tensor([logvar], dtype=torch.float64)
    q = Normal(mu_t, torch.exp(0.5 * logvar_t))
    expected = kl_divergence(q, Normal(torch.zeros_like(mu_t), torch.ones_like(mu_t))).sum(-1)
    torch.testing.assert_close(kl_to_standard_normal(mu_t, logvar_t), expected, rtol=1e-9, atol=1e-9)
    assert kl_to_standard_normal(mu_t, logvar_t).item() >= -1e-12  # KL ≥ 0 up to rounding


def test_log_diag_normal_matches_torch():
    z, mu, logvar = torch.randn(5, 2), torch.randn(5, 2), torch.randn(5, 2)
    expected = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(log_diag_normal(z, mu, logvar), expected)


def test_shapes_of_encode_reparameterize_decode_forward():
    torch.manual_seed(0)
    model = VAE(SMALL)
    x = torch.bernoulli(torch.full((7, N_PIXELS), 0.2))
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (7, 2)
    z = model.reparameterize(mu, logvar)
    assert z.shape == (7, 2)
    assert model.decode(z).shape == (7, N_PIXELS)
    out = model(x, n_samples=3)
    assert out.z.shape == (3, 7, 2) and out.logits.shape == (3, 7, N_PIXELS)
    assert out.recon.shape == out.kl.shape == out.elbo.shape == (7,)
    assert out.log_w.shape == (3, 7)
    torch.testing.assert_close(out.elbo, out.recon - out.kl)
    torch.testing.assert_close(out.kl, kl_to_standard_normal(mu, logvar))
    expected_recon = bernoulli_log_likelihood(x, out.logits).mean(0)
    torch.testing.assert_close(out.recon, expected_recon)


def test_reparameterize_is_seeded_and_has_the_right_moments():
    mu = torch.tensor([[1.5, -2.0]]).expand(20000, 2)
    logvar = torch.tensor([[math.log(0.25), math.log(4.0)]]).expand(20000, 2)
    a = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    b = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    torch.testing.assert_close(a.mean(0), torch.tensor([1.5, -2.0]), atol=0.05, rtol=0)
    torch.testing.assert_close(a.std(0), torch.tensor([0.5, 2.0]), atol=0.05, rtol=0)


def test_gradients_flow_through_the_sample_to_the_encoder():
    torch.manual_seed(1)
    model = VAE(SMALL)
    x = torch.bernoulli(torch.full((4, N_PIXELS), 0.2))
    (-model(x).elbo.mean()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
    assert model.to_logvar.weight.grad.abs().sum() > 0


def test_single_sample_log_weight_averages_to_the_elbo():
    torch.manual_seed(2)
    model = VAE(SMALL)
    x = torch.bernoulli(torch.full((2, N_PIXELS), 0.2))
    with torch.no_grad():
        out = model(x, n_samples=4000, generator=torch.Generator().manual_seed(0))
    # E_q[log w] = E_q[log p(x|z)] − KL(q‖p): the Monte Carlo mean matches recon − KL
    se = out.log_w.std(0) / math.sqrt(4000)
    assert ((out.log_w.mean(0) - out.elbo).abs() < 4 * se + 1e-3).all()
    assert (out.iwae_bound() >= out.elbo - 4 * se).all()


def test_config_round_trip_and_validation():
    config = VAEConfig(encoder_hidden=[64, 32], decoder_hidden=[32, 64], encoder_activation="elu")
    args = config.to_dict()
    assert args["x_dim"] == N_PIXELS and args["z_dim"] == 2
    assert all(isinstance(v, (int, str, list)) for v in args.values())  # plain data for weights_only
    assert VAEConfig.from_dict(args) == config
    with pytest.raises(ValueError, match="unknown"):
        VAEConfig.from_dict({**args, "dropout": 0.1})
    with pytest.raises(ValueError, match="activation"):
        VAEConfig(decoder_activation="sigmoidish")


def test_forward_handles_probability_inputs_without_nan():
    model = VAE(SMALL).eval()
    x = torch.as_tensor(np.linspace(0, 1, N_PIXELS, dtype=np.float32))[None]
    with torch.no_grad():
        out = model(x)
    assert torch.isfinite(out.elbo).all()
