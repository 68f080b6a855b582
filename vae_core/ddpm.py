"""A small DDPM for the 28×28 digits: ε-prediction network, sampler, variational bound, checkpoint.

Ho et al. 2020 ("Denoising Diffusion Probabilistic Models"): the forward process of
:mod:`vae_core.diffusion` on images, x₀ ∈ {−1, +1}^784 (a binarized digit b ∈ {0, 1}^784 mapped
to x₀ = 2b − 1, the same bits the VAE models), and a reverse chain

    p(x_T) = N(0, I),   p_θ(x_{t−1} | x_t) = N(μ_θ(x_t, t), σ_t² I),
    μ_θ(x_t, t) = (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t          (Ho eq. 11)

with σ_t² = β_t or β̃_t fixed. The network ε_θ predicts the noise in x_t; it is trained with
Ho's simplified loss E_{t, x₀, ε} ‖ε − ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t)‖² (eq. 14).

The variational bound (Ho eq. 5; Luo 2022 eq. 58; the chapter's eq. 1.4.12 with T latents) is
evaluated with a *discrete* decoder for the last step: pixel d of the binary image is 1 when
x₀,d > 0, so p_θ(b | x₁) = ∏_d Φ((2b_d − 1) μ_θ,d(x₁, 1) / σ₁) (Ho eq. 13 with two bins). It is
therefore a lower bound on log P_θ(b) for the binary digit b — the same quantity, on the same
fixed holdout bits, that the VAE's ELBO bounds (assets/model/model_card.json). Nats per digit.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from vae_core import diffusion
from vae_core.checkpoint import CheckpointError
from vae_core.data import ASSETS_DIR, N_PIXELS, file_sha256
from vae_core.device import pick_device

DDPM_DIR = ASSETS_DIR / "ddpm"
WEIGHTS_NAME = "ddpm_weights.pt"
CARD_NAME = "model_card.json"
CHECKPOINT_FORMAT = 1
SIGMAS = ("beta", "beta_tilde")
HEADS = ("bayes", "plain")


@dataclass
class DDPMConfig:
    """Architecture and diffusion of :class:`DDPM`; stored in the checkpoint as ``model_args``.

    ``hidden``: width of the residual MLP; ``n_blocks``: residual blocks; ``time_dim``: size of the
    sinusoidal embedding of t; ``sigma``: the fixed reverse variance σ_t², "beta" (β_t) or
    "beta_tilde" (β̃_t, with σ₁² = β̃₂ since β̃₁ = 0). β̃_t is the default: binary pixels are almost
    certain given x_t at small t, where β̃_t is the exact posterior variance, while σ_t² = β_t costs
    ½(r − 1 − log r), r = β̃_t/β_t, per pixel and step — 264 nats per digit in all (95 at t = 2),
    whatever the network. ``head``: how the MLP's output becomes ε̂ —
    "plain" (it is ε̂) or "bayes" (it is a context logit added to each pixel's own evidence; see
    :meth:`DDPM.eps`).
    """

    x_dim: int = N_PIXELS
    T: int = 1000
    schedule: str = "linear"
    hidden: int = 256
    n_blocks: int = 3
    time_dim: int = 64
    sigma: str = "beta_tilde"
    head: str = "bayes"

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.schedule not in diffusion.SCHEDULES:
            raise ValueError(f"schedule must be one of {diffusion.SCHEDULES}, got {self.schedule!r}")
        if self.sigma not in SIGMAS:
            raise ValueError(f"sigma must be one of {SIGMAS}, got {self.sigma!r}")
        if self.T < 2:
            raise ValueError("a DDPM needs T ≥ 2 (T = 1 is the one-latent VAE of vae_core.diffusion)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, args: dict) -> DDPMConfig:
        unknown = set(args) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown DDPMConfig fields {sorted(unknown)}")
        return cls(**args)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer steps t (B,) -> (B, dim) (Vaswani et al. 2017, as in Ho et al.)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]  # (B, half)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class ResidualBlock(nn.Module):
    """h + W₂ SiLU(W₁ LayerNorm(h) + W_t e(t)): the step t enters every block."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.inner = nn.Linear(hidden, hidden)
        self.time = nn.Linear(hidden, hidden)
        self.outer = nn.Linear(hidden, hidden)

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return h + self.outer(nn.functional.silu(self.inner(self.norm(h)) + self.time(emb)))


class EpsNet(nn.Module):
    """ε_θ(x_t, t): a residual MLP on the 784 pixels (small enough to train on two CPU cores and run in a
    browser; a U-Net would draw better digits at many times the cost)."""

    def __init__(self, config: DDPMConfig) -> None:
        super().__init__()
        c = config
        self.time_dim = c.time_dim
        self.time_mlp = nn.Sequential(nn.Linear(c.time_dim, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden))
        self.inp = nn.Linear(c.x_dim, c.hidden)
        self.blocks = nn.ModuleList(ResidualBlock(c.hidden) for _ in range(c.n_blocks))
        self.out_norm = nn.LayerNorm(c.hidden)
        self.out = nn.Linear(c.hidden, c.x_dim)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x_t (B, D_x), t (B,) integers 1…T -> predicted noise (B, D_x)."""
        emb = self.time_mlp(timestep_embedding(t, self.time_dim))  # (B, H)
        h = self.inp(x_t)  # (B, H)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(nn.functional.silu(self.out_norm(h)))


class BoundTerms(NamedTuple):
    """Per-digit terms of the variational bound (nats; Ho eq. 5), for binary digits (B, 784).

    ``reconstruction`` (B,): log p_θ(b | x₁), x₁ ~ q(x₁|x₀), one draw (the discrete L₀);
    ``prior`` (B,): KL(q(x_T|x₀) ‖ N(0, I)), exact; ``denoising`` (B, K): KL(q(x_{t−1}|x_t, x₀) ‖
    p_θ(x_{t−1}|x_t)) at one draw x_t ~ q(x_t|x₀) for each t in ``t`` (K,); ``weight``: (T−1)/K, the
    factor that makes the sum over the K evaluated steps an unbiased estimate of the sum over all
    T−1 (1 when every step is evaluated). Each digit's ELBO estimate is unbiased; averaged over
    digits its standard error across digits includes the draws' noise.
    """

    reconstruction: torch.Tensor
    prior: torch.Tensor
    denoising: torch.Tensor
    t: torch.Tensor
    weight: float

    @property
    def elbo(self) -> torch.Tensor:
        """(B,) reconstruction − prior − Σ_t denoising: a lower bound on log P_θ(b) (nats)."""
        return self.reconstruction - self.prior - self.weight * self.denoising.sum(dim=-1)


class DDPM(nn.Module):
    """The ε-prediction network plus its fixed schedule (recomputed from the config, not stored)."""

    def __init__(self, config: DDPMConfig | None = None) -> None:
        super().__init__()
        self.config = config or DDPMConfig()
        c = self.config
        self.net = EpsNet(c)
        sched = diffusion.make_schedule(c.T, c.schedule)
        c0, ct, post_var = diffusion.posterior_coefficients(sched, np.arange(1, c.T + 1))
        sigma2 = sched.betas.copy() if c.sigma == "beta" else post_var.copy()
        if c.sigma == "beta_tilde":
            sigma2[0] = post_var[1]
        # KL(N(μ̃, β̃) ‖ N(μ_θ, σ²)) per pixel = ½(r − 1 − log r) + (μ̃ − μ_θ)²/(2σ²), r = β̃/σ²; the first part
        # depends on t only and is computed here in float64 (r is within rounding of 1 for σ² = β̃).
        log_r = np.log(np.where(post_var > 0, post_var, 1.0)) - np.log(sigma2)
        scale_kl = 0.5 * (np.expm1(log_r) - log_r)
        ab = sched.alpha_bar
        self._schedule = sched
        buffers = {
            "betas": sched.betas,
            "sqrt_alpha_bar": np.sqrt(ab),
            "sqrt_one_minus_alpha_bar": np.sqrt(sched.one_minus_alpha_bar),
            "pixel_gain": np.sqrt(ab) / np.where(sched.one_minus_alpha_bar > 0, sched.one_minus_alpha_bar, 1.0),
            "post_c0": c0,
            "post_ct": ct,
            "sigma2": sigma2,
            "scale_kl": scale_kl,
        }
        for name, value in buffers.items():
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32), persistent=False)
        # the prior term KL(N(√ᾱ_T x₀, 1−ᾱ_T) ‖ N(0, 1)) per pixel, x₀ = ±1 so x₀² = 1: a constant
        self.prior_kl_per_pixel = float(
            diffusion.kl_normal(math.sqrt(ab[-1]), math.sqrt(sched.one_minus_alpha_bar[-1]), 0.0, 1.0)
        )

    @property
    def schedule(self) -> diffusion.Schedule:
        return self._schedule

    def eps(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """ε_θ(x_t, t): the predicted noise, (B, D_x).

        With ``head="bayes"`` the MLP's output h is a logit that carries what the *other* pixels say about
        pixel d, and is added to what the pixel's own x_t,d says. For x₀,d ∈ {−1, +1} and
        x_t,d ~ N(√ᾱ_t x₀,d, 1 − ᾱ_t) Bayes' rule gives E[x₀,d | x_t,d] = tanh(√ᾱ_t x_t,d / (1 − ᾱ_t) + prior
        logit / 2), so x̂₀ = tanh(√ᾱ_t/(1 − ᾱ_t) · x_t + h) and ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t) (Ho eq. 4
        solved for ε). Without it a 256-wide MLP cannot pass 784 independent noise values through, and at
        small t — where ε̂ must be nearly exact because the bound weighs its error by β_t/(1 − ᾱ_t) ≈ 1/t —
        the bound loses thousands of nats. Trained with the same L_simple on ε.
        """
        out = self.net(x_t, t)
        if self.config.head == "plain":
            return out
        x0_hat = self.predict_x0(x_t, t, out)
        return (x_t - self.sqrt_alpha_bar[t, None] * x0_hat) / self.sqrt_one_minus_alpha_bar[t, None]

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """x̂₀(x_t, t) ∈ [−1, 1]^D, the denoised guess behind ε̂ (B, D_x): what "denoise from here" shows."""
        out = self.net(x_t, t) if out is None else out
        if self.config.head == "plain":
            return (x_t - self.sqrt_one_minus_alpha_bar[t, None] * out) / self.sqrt_alpha_bar[t, None]
        return torch.tanh(self.pixel_gain[t, None] * x_t + out)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε: a draw of q(x_t | x₀) in one jump (Ho eq. 4). t (B,) in 0…T."""
        return self.sqrt_alpha_bar[t, None] * x0 + self.sqrt_one_minus_alpha_bar[t, None] * noise

    def loss(self, x0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ho's L_simple: mean over the batch and pixels of (ε − ε_θ(x_t, t))², t ~ U{1…T}, ε ~ N(0, I)."""
        batch = x0.shape[0]
        t = torch.randint(1, self.config.T + 1, (batch,), generator=generator, device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        return (noise - self.eps(self.q_sample(x0, t, noise), t)).pow(2).mean()

    def p_mean(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """μ_θ(x_t, t) = (x_t − β_t/√(1−ᾱ_t) ε_θ(x_t, t)) / √α_t (Ho eq. 11), (B, D_x)."""
        beta = self.betas[t - 1, None]
        return (x_t - beta / self.sqrt_one_minus_alpha_bar[t, None] * self.eps(x_t, t)) / torch.sqrt(1.0 - beta)

    @torch.inference_mode()
    def sample(
        self, n: int, generator: torch.Generator | None = None, keep: tuple[int, ...] = ()
    ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """Ancestral sampling (Ho Algorithm 2): x_T ~ N(0, I), x_{t−1} = μ_θ(x_t, t) + σ_t z.

        Returns (pixel probabilities P(b_d = 1 | x₁) = Φ(μ_θ,d(x₁, 1)/σ₁), shape (n, D_x), the mean of the
        discrete decoder) and {t: x_t (n, D_x)} for each t in ``keep`` (T = the starting noise).
        """
        device = self.betas.device
        x = torch.randn((n, self.config.x_dim), generator=generator, device=device)
        kept = {self.config.T: x.clone()} if self.config.T in keep else {}
        for step in range(self.config.T, 1, -1):
            t = torch.full((n,), step, device=device, dtype=torch.long)
            noise = torch.randn(x.shape, generator=generator, device=device)
            x = self.p_mean(x, t) + torch.sqrt(self.sigma2[step - 1]) * noise
            if step - 1 in keep:
                kept[step - 1] = x.clone()
        mean = self.p_mean(x, torch.ones(n, device=device, dtype=torch.long))
        return torch.special.ndtr(mean / torch.sqrt(self.sigma2[0])), kept

    def reconstruction_log_prob(self, bits: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """log p_θ(b | x₁) = Σ_d log Φ((2b_d − 1) μ_θ,d(x₁, 1) / σ₁) for binary b (B, D_x) -> (B,), nats."""
        t = torch.ones(bits.shape[0], device=bits.device, dtype=torch.long)
        z = (2.0 * bits - 1.0) * self.p_mean(x1, t) / torch.sqrt(self.sigma2[0])
        return torch.special.log_ndtr(z).sum(dim=-1)

    def denoising_kl(self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """KL(q(x_{t−1}|x_t, x₀) ‖ p_θ(x_{t−1}|x_t)) summed over pixels, (B,) nats, t ≥ 2 (the chapter's
        Gaussian KL, box after eq. 1.4.13, per pixel)."""
        post_mean = self.post_c0[t - 1, None] * x0 + self.post_ct[t - 1, None] * x_t
        sq = (post_mean - self.p_mean(x_t, t)).pow(2).sum(dim=-1)
        return self.config.x_dim * self.scale_kl[t - 1] + sq / (2.0 * self.sigma2[t - 1])

    @torch.inference_mode()
    def bound_terms(
        self, bits: torch.Tensor, generator: torch.Generator | None = None, timesteps: torch.Tensor | None = None
    ) -> BoundTerms:
        """The bound's terms for binary digits ``bits`` (B, D_x) in {0, 1}; ``timesteps`` (K,) in 2…T
        (default all T−1 of them, one network call per step)."""
        T = self.config.T
        device = self.betas.device
        bits = bits.to(device=device, dtype=torch.float32)
        x0 = 2.0 * bits - 1.0
        batch = bits.shape[0]
        if timesteps is None:
            timesteps = torch.arange(2, T + 1, device=device)
        timesteps = timesteps.to(device)
        denoising = torch.empty((batch, len(timesteps)), device=device)
        for k, step in enumerate(timesteps.tolist()):
            t = torch.full((batch,), step, device=device, dtype=torch.long)
            noise = torch.randn(x0.shape, generator=generator, device=device)
            denoising[:, k] = self.denoising_kl(x0, self.q_sample(x0, t, noise), t)
        t1 = torch.ones(batch, device=device, dtype=torch.long)
        x1 = self.q_sample(x0, t1, torch.randn(x0.shape, generator=generator, device=device))
        recon = self.reconstruction_log_prob(bits, x1)
        prior = torch.full((batch,), self.prior_kl_per_pixel * self.config.x_dim, device=device)
        return BoundTerms(recon, prior, denoising, timesteps, (T - 1) / len(timesteps))


# --- checkpoint: weights + model card with sha256 (the conventions of vae_core.checkpoint) ---------


def save_ddpm(model: DDPM, out_dir: Path | str, card: dict) -> dict:
    """Write ``ddpm_weights.pt`` (state_dict + model_args) and ``model_card.json`` with its sha256."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WEIGHTS_NAME
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save({"format": CHECKPOINT_FORMAT, "model_args": model.config.to_dict(), "state_dict": state}, weights)
    card = {
        **card,
        "weights_file": WEIGHTS_NAME,
        "weights_sha256": file_sha256(weights),
        "model_args": model.config.to_dict(),
    }
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def load_ddpm(model_dir: Path | str | None = None, device: str | torch.device | None = None) -> DDPM:
    """Load the DDPM in ``model_dir`` (default ``assets/ddpm``) after checking the weights' sha256 against
    its model card; ``torch.load(..., weights_only=True)``. Eval mode, on ``pick_device(device)``.

    Raises:
        CheckpointError: missing, unreadable or corrupt files, or a sha256 mismatch.
    """
    model_dir = Path(model_dir) if model_dir is not None else DDPM_DIR
    hint = f"Retrain with `python -m vae_core.train_ddpm --device auto --out {model_dir}`."
    card_path = model_dir / CARD_NAME
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        expected = card["weights_sha256"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise CheckpointError(f"DDPM model card {card_path} is missing or unreadable ({err}). {hint}") from err
    weights = model_dir / card.get("weights_file", WEIGHTS_NAME)
    if not weights.is_file():
        raise CheckpointError(f"DDPM weights not found: {weights}. {hint}")
    actual = file_sha256(weights)
    if actual != expected:
        raise CheckpointError(
            f"DDPM weights {weights} fail the checksum (sha256 {actual[:12]}…, the card says "
            f"{str(expected)[:12]}…). {hint}"
        )
    try:
        payload = torch.load(weights, map_location="cpu", weights_only=True)
        model = DDPM(DDPMConfig.from_dict(payload["model_args"]))
        model.load_state_dict(payload["state_dict"])
    except Exception as err:  # any failure here means an unusable checkpoint
        raise CheckpointError(f"DDPM weights {weights} cannot be loaded ({err}). {hint}") from err
    return model.to(pick_device(device)).eval()
