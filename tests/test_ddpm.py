"""The digits DDPM with a tiny config (seconds): shapes, determinism, training, the bound's terms against
vae_core.diffusion's exact linear-Gaussian ledger and scipy, checkpoint round-trip, the CLI."""

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from vae_core import diffusion
from vae_core.checkpoint import CheckpointError
from vae_core.ddpm import CARD_NAME, DDPM, WEIGHTS_NAME, DDPMConfig, load_ddpm, save_ddpm
from vae_core.train_ddpm import TrainConfig, evaluate_bound, main, train_model

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

TINY = DDPMConfig(T=10, hidden=32, n_blocks=1, time_dim=16)
CPU = torch.device("cpu")


def tiny_model(seed=0, config=TINY):
    torch.manual_seed(seed)
    return DDPM(config).eval()


def random_bits(n, seed=0, dim=784):
    return torch.bernoulli(torch.full((n, dim), 0.3), generator=torch.Generator().manual_seed(seed))


class LinearEps(nn.Module):
    """ε_θ(x_t, t) = c_t x_t + d_t, the same for every pixel: the DDPM's reverse chain is then linear-Gaussian,
    p_θ(x_{t−1}|x_t) = N(a_t x_t + b_t, σ_t²), and vae_core.diffusion computes its ledger exactly."""

    def __init__(self, c, d):
        super().__init__()
        self.c, self.d = torch.as_tensor(c, dtype=torch.float32), torch.as_tensor(d, dtype=torch.float32)

    def forward(self, x_t, t):
        return self.c[t - 1, None] * x_t + self.d[t - 1, None]


def linear_case(sigma, T=6, x_dim=3, seed=0):
    rng = np.random.default_rng(seed)
    c, d = 0.5 + 0.3 * rng.standard_normal(T), 0.2 * rng.standard_normal(T)
    model = DDPM(DDPMConfig(x_dim=x_dim, T=T, hidden=8, n_blocks=1, time_dim=8, sigma=sigma, head="plain")).eval()
    model.net = LinearEps(c, d)
    sched = diffusion.make_schedule(T)
    beta, omab = sched.betas, sched.one_minus_alpha_bar[1:]
    a = (1.0 - beta * c / np.sqrt(omab)) / np.sqrt(1.0 - beta)
    b = -beta * d / (np.sqrt(omab) * np.sqrt(1.0 - beta))
    rev = diffusion.Reverse(a, b, model.sigma2.double().numpy(), 0.0, 1.0)
    return model, sched, rev


def test_shapes_and_ranges():
    model, bits = tiny_model(), random_bits(5)
    t = torch.tensor([1, 2, 5, 9, 10])
    x0 = 2 * bits - 1
    x_t = model.q_sample(x0, t, torch.randn(5, 784))
    assert model.eps(x_t, t).shape == model.p_mean(x_t, t).shape == (5, 784)
    probs, kept = model.sample(3, torch.Generator().manual_seed(1), keep=(10, 5, 1))
    assert probs.shape == (3, 784) and bool(((probs >= 0) & (probs <= 1)).all())
    assert sorted(kept) == [1, 5, 10] and all(v.shape == (3, 784) for v in kept.values())
    terms = model.bound_terms(bits, torch.Generator().manual_seed(2))
    assert terms.denoising.shape == (5, 9) and terms.t.tolist() == list(range(2, 11)) and terms.weight == 1.0
    assert terms.reconstruction.shape == terms.prior.shape == terms.elbo.shape == (5,)
    assert torch.isfinite(terms.elbo).all() and bool((terms.denoising >= 0).all())


def test_schedule_buffers_are_vae_core_diffusions():
    model = tiny_model(config=DDPMConfig(T=50, hidden=8, n_blocks=1, time_dim=8, schedule="cosine"))
    sched = diffusion.make_schedule(50, "cosine")
    np.testing.assert_allclose(model.sqrt_alpha_bar.numpy(), np.sqrt(sched.alpha_bar), rtol=1e-6)
    np.testing.assert_allclose(model.betas.numpy(), sched.betas, rtol=1e-6)
    assert set(model.state_dict()) == {k for k in model.state_dict() if k.startswith("net.")}  # no schedule


def test_variance_mismatch_term_is_the_kl_of_centred_gaussians():
    """The t-only part of each denoising KL is KL(N(0, β̃_t) ‖ N(0, σ_t²)): 0 for σ² = β̃, and for σ² = β
    it costs 264 nats per digit at T = 1000, whatever the network (docs/diffusion.md)."""
    sched = diffusion.make_schedule(1000)
    post_sd, beta_sd = np.sqrt(sched.posterior_variance[1:]), np.sqrt(sched.betas[1:])
    beta_model = DDPM(DDPMConfig(hidden=8, n_blocks=1, time_dim=8, sigma="beta"))
    oracle = diffusion.kl_normal(0.0, post_sd, 0.0, beta_sd)
    np.testing.assert_allclose(beta_model.scale_kl[1:].double().numpy(), oracle, rtol=1e-5)
    assert 784 * oracle.sum() == pytest.approx(264.3, abs=0.1)
    tilde_model = DDPM(DDPMConfig(hidden=8, n_blocks=1, time_dim=8, sigma="beta_tilde"))
    assert float(tilde_model.scale_kl[1:].abs().max()) < 1e-12


def test_sampling_and_the_bound_are_deterministic_for_a_seed():
    model, bits = tiny_model(), random_bits(4)
    a, _ = model.sample(2, torch.Generator().manual_seed(7))
    b, _ = model.sample(2, torch.Generator().manual_seed(7))
    c, _ = model.sample(2, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    e1 = model.bound_terms(bits, torch.Generator().manual_seed(3)).elbo
    e2 = model.bound_terms(bits, torch.Generator().manual_seed(3)).elbo
    assert torch.equal(e1, e2)


def test_training_is_deterministic_on_cpu_and_lowers_the_loss():
    cfg = TrainConfig(steps=60, batch_size=16, lr=3e-3, warmup_steps=5, subset=16, seed=4, ema_decay=0.0)
    a, loss_a = train_model(TINY, cfg, CPU, progress=False, log_every=20)
    b, loss_b = train_model(TINY, cfg, CPU, progress=False, log_every=20)
    c, _ = train_model(TINY, TrainConfig(steps=5, batch_size=16, subset=16, seed=5), CPU, progress=False)
    assert loss_a == loss_b and len(loss_a) == 3
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.state_dict().values(), c.state_dict().values(), strict=True))
    # the same loss draw (fixed t, ε, bits) before and after training, on the training digits
    from vae_core.train_ddpm import training_images

    bits = torch.bernoulli(torch.as_tensor(training_images(16)), generator=torch.Generator().manual_seed(0))
    x0 = 2 * bits - 1
    start = tiny_model(seed=4)
    with torch.no_grad():
        before = start.loss(x0, torch.Generator().manual_seed(9))
        after = a.loss(x0, torch.Generator().manual_seed(9))
    assert after < 0.9 * before


def test_the_bound_is_the_sum_of_its_terms():
    model, bits = tiny_model(), random_bits(6)
    terms = model.bound_terms(bits, torch.Generator().manual_seed(5))
    total = terms.reconstruction - terms.prior - terms.denoising.sum(dim=-1)
    torch.testing.assert_close(terms.elbo, total, rtol=0, atol=0)
    sub = model.bound_terms(bits, torch.Generator().manual_seed(5), timesteps=torch.tensor([2, 6, 10]))
    assert sub.weight == 3.0
    torch.testing.assert_close(sub.elbo, sub.reconstruction - sub.prior - 3.0 * sub.denoising.sum(dim=-1))
    report = evaluate_bound(model, bits.numpy(), seed=5, batch_size=4)
    assert report["neg_elbo"]["mean"] == pytest.approx(
        report["reconstruction_L0"] + report["prior_LT"] + report["denoising_sum"], rel=1e-9
    )
    assert report["bits_per_dim"] == pytest.approx(report["neg_elbo"]["mean"] / (784 * math.log(2)))


@pytest.mark.parametrize("sigma", ["beta", "beta_tilde"])
def test_denoising_kl_is_the_gaussian_kl_pointwise(sigma):
    """For one x_t, the network's KL is Σ_d KL(q(x_{t−1}|x_t, x₀) ‖ N(a_t x_t + b_t, σ_t²)) of vae_core.diffusion."""
    model, sched, rev = linear_case(sigma)
    gen = torch.Generator().manual_seed(0)
    x0 = 2 * random_bits(4, dim=3) - 1
    for step in (2, 4, 6):
        t = torch.full((4,), step)
        x_t = model.q_sample(x0, t, torch.randn(x0.shape, generator=gen))
        mean, var = diffusion.posterior(sched, step, x_t.double().numpy(), x0.double().numpy())
        mu_theta = rev.a[step - 1] * x_t.double().numpy() + rev.b[step - 1]
        oracle = diffusion.kl_normal(mean, math.sqrt(var), mu_theta, math.sqrt(rev.var[step - 1])).sum(axis=-1)
        np.testing.assert_allclose(model.denoising_kl(x0, x_t, t).numpy(), oracle, rtol=1e-4)


@pytest.mark.parametrize("sigma", ["beta", "beta_tilde"])
def test_prior_and_denoising_terms_average_to_the_exact_ledger(sigma):
    """Averaged over many draws of x_t, each denoising term is the exact expectation of vae_core.diffusion's
    ledger (per pixel, x₀ = ±1), within 4 standard errors; the prior term is exact."""
    model, sched, rev = linear_case(sigma)
    n = 4000
    bits = torch.tensor([[1.0, 0.0, 1.0]]).repeat(n, 1)
    terms = model.bound_terms(bits, torch.Generator().manual_seed(1))
    ledger = diffusion.ledger(np.array([1.0, -1.0, 1.0]), sched, rev)
    exact = ledger.denoising.sum(axis=0)  # (T−1,) summed over the 3 pixels
    mean = terms.denoising.double().mean(dim=0).numpy()
    se = terms.denoising.double().std(dim=0).numpy() / math.sqrt(n)
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-6)
    assert float(terms.prior[0]) == pytest.approx(float(ledger.prior_matching.sum()), rel=1e-6)


def test_discrete_decoder_is_the_normal_cdf_of_each_bin():
    model, _, rev = linear_case("beta")
    bits = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    x1 = torch.tensor([[0.5, -0.2, 0.01], [1.5, 0.3, -2.0]])
    mu = rev.a[0] * x1.double().numpy() + rev.b[0]
    sd = math.sqrt(rev.var[0])
    oracle = np.where(bits.numpy() == 1, stats.norm.logsf(0.0, mu, sd), stats.norm.logcdf(0.0, mu, sd)).sum(axis=-1)
    np.testing.assert_allclose(model.reconstruction_log_prob(bits, x1).numpy(), oracle, rtol=1e-5)
    # a proper distribution on {0, 1}^D: the probabilities of all 8 patterns sum to 1
    patterns = torch.tensor([[(k >> i) & 1 for i in range(3)] for k in range(8)], dtype=torch.float32)
    total = torch.logsumexp(model.reconstruction_log_prob(patterns, x1[:1].repeat(8, 1)), dim=0)
    assert float(total) == pytest.approx(0.0, abs=1e-5)


def test_checkpoint_round_trip_checks_the_sha256(tmp_path):
    model = tiny_model(seed=3)
    card = save_ddpm(model, tmp_path, {"note": "test"})
    written = json.loads((tmp_path / CARD_NAME).read_text())
    assert written == card and written["model_args"] == TINY.to_dict() and len(written["weights_sha256"]) == 64
    loaded = load_ddpm(tmp_path, device="cpu")
    for (name, pa), pb in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    x, t = torch.randn(2, 784), torch.tensor([3, 7])
    assert torch.equal(model.eps(x, t), loaded.eps(x, t))
    weights = tmp_path / WEIGHTS_NAME
    weights.write_bytes(weights.read_bytes()[:-10])  # truncated
    with pytest.raises(CheckpointError, match="checksum"):
        load_ddpm(tmp_path)
    (tmp_path / CARD_NAME).unlink()
    with pytest.raises(CheckpointError):
        load_ddpm(tmp_path)


def test_cli_writes_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--quick", "--steps", "5", "--eval", "quick", "--no-progress", "--device", "cpu"]
    card = main(args)
    assert list(tmp_path.iterdir()) == []  # no --out, nothing written
    bound = card["holdout_bound"]
    assert bound["n_images"] == 50 and bound["timesteps_evaluated"] == "all"  # T = 20 < 50 steps
    assert math.isfinite(bound["neg_elbo"]["mean"])
    out = tmp_path / "ddpm"
    card = main([*args, "--out", str(out), "--seed", "2"])
    assert sorted(p.name for p in out.iterdir()) == [WEIGHTS_NAME, CARD_NAME]
    assert card["training"]["seed"] == 2 and card["device"] == "cpu" and "comparable" in card
    assert card["samples"]["n_samples"] == 20 and math.isfinite(card["samples"]["ratio_to_holdout_baseline"])
    assert load_ddpm(out, "cpu").config.T == 20


def test_nearest_neighbour_check_flags_copies_and_noise():
    from vae_core.train_ddpm import nearest_neighbour_check

    rng = np.random.default_rng(0)
    train, holdout = rng.random((40, 784)), rng.random((10, 784))
    copies = nearest_neighbour_check(train[:5], train, holdout)
    assert copies["sample_to_nearest_train"] == pytest.approx(0.0, abs=1e-5)
    assert copies["ratio_to_holdout_baseline"] < 1e-5
    noise = nearest_neighbour_check(np.full((5, 784), 0.5), train, holdout)
    brute = np.mean([min(np.linalg.norm(0.5 - row) for row in train)])
    assert noise["sample_to_nearest_train"] == pytest.approx(brute, rel=1e-9)
    assert noise["holdout_to_nearest_train"] == pytest.approx(
        np.mean([min(np.linalg.norm(h - row) for row in train) for h in holdout]), rel=1e-9
    )


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError):
        DDPMConfig(T=1)
    with pytest.raises(ValueError):
        DDPMConfig(sigma="learned")
    with pytest.raises(ValueError):
        DDPMConfig.from_dict({**TINY.to_dict(), "width": 3})


def test_bayes_head_is_the_per_pixel_posterior_mean_and_consistent_with_eps():
    """With the MLP's output zeroed, x̂₀ is E[x₀,d | x_t,d] for x₀,d = ±1 equally likely (Bayes with scipy's
    densities); and ε̂ always satisfies x_t = √ᾱ_t x̂₀ + √(1 − ᾱ_t) ε̂ (Ho eq. 4)."""
    model = tiny_model(seed=1, config=DDPMConfig(T=50, hidden=16, n_blocks=1, time_dim=8))
    gen = torch.Generator().manual_seed(3)
    x_t, t = 1.5 * torch.randn(6, 784, generator=gen), torch.tensor([1, 2, 5, 20, 40, 50])
    eps, x0_hat = model.eps(x_t, t), model.predict_x0(x_t, t)
    scale, var = diffusion.marginal(diffusion.make_schedule(50), t.numpy())
    torch.testing.assert_close(
        torch.as_tensor(scale[:, None], dtype=torch.float32) * x0_hat
        + torch.as_tensor(np.sqrt(var)[:, None], dtype=torch.float32) * eps,
        x_t,
        rtol=1e-4,
        atol=1e-4,
    )
    with torch.no_grad():
        model.net.out.weight.zero_()
        model.net.out.bias.zero_()
    x = x_t.double().numpy()
    plus = stats.norm(scale[:, None], np.sqrt(var)[:, None]).logpdf(x)
    minus = stats.norm(-scale[:, None], np.sqrt(var)[:, None]).logpdf(x)
    oracle = np.tanh((plus - minus) / 2)  # P(+1) − P(−1) = tanh(half the log-likelihood ratio)
    np.testing.assert_allclose(model.predict_x0(x_t, t).detach().double().numpy(), oracle, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sigma", ["beta", "beta_tilde"])
def test_bound_matches_a_monte_carlo_elbo_over_whole_forward_paths(sigma):
    """The KL decomposition (Ho eq. 5) against the ELBO's definition (eq. 1.4.5 with z = x_{1:T}): the mean over
    forward paths of log p_θ(b|x₁) + log p(x_T) + Σ_t log p_θ(x_{t−1}|x_t) − Σ_t log q(x_t|x_{t−1}), densities
    written out here, with a random (untrained) network and the Bayes head; within 4 combined s.e."""
    torch.manual_seed(0)
    T, dim, n = 5, 4, 40_000
    model = DDPM(DDPMConfig(x_dim=dim, T=T, hidden=16, n_blocks=1, time_dim=8, sigma=sigma)).eval()
    bits = torch.tensor([[1.0, 0.0, 0.0, 1.0]]).repeat(n, 1)
    x0 = 2 * bits - 1
    gen = torch.Generator().manual_seed(4)
    betas = model.betas.double()

    def log_normal(x, mean, var):
        return (-0.5 * torch.log(2 * math.pi * var) - (x - mean) ** 2 / (2 * var)).sum(dim=-1)

    with torch.no_grad():
        path = [x0.double()]
        log_q = torch.zeros(n, dtype=torch.float64)
        for t in range(1, T + 1):
            mean = torch.sqrt(1 - betas[t - 1]) * path[-1]
            path.append(mean + torch.sqrt(betas[t - 1]) * torch.randn(n, dim, generator=gen, dtype=torch.float64))
            log_q += log_normal(path[t], mean, betas[t - 1])
        log_p = log_normal(path[T], torch.zeros(()), torch.ones((), dtype=torch.float64))
        for t in range(T, 1, -1):
            mu = model.p_mean(path[t].float(), torch.full((n,), t)).double()
            log_p += log_normal(path[t - 1], mu, model.sigma2[t - 1].double())
        log_p += model.reconstruction_log_prob(bits, path[1].float()).double()
    direct = log_p - log_q
    terms = model.bound_terms(bits, torch.Generator().manual_seed(5)).elbo.double()
    se = math.sqrt(direct.var() / n + terms.var() / n)
    assert abs(float(direct.mean() - terms.mean())) < 4 * se
