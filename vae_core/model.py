"""The variational autoencoder of section 1.4.2: a 2-D latent so the latent plane can be drawn.

Notation (the chapter's errata fixed, see docs): the encoder is the approximate posterior
q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x)); the decoder is the likelihood p_θ(x|z), here independent
Bernoulli pixels with logits ℓ_θ(z); the prior is p(z) = N(0, I).

The model maximizes the ELBO of eq. 1.4.12,
    E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),
estimated with L reparameterized samples as in eq. 1.4.13 (Kingma & Welling 2014); the
importance-weighted bound (Burda et al. 2016) is available as a training objective too.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import NamedTuple

import torch
from torch import nn

from vae_core.data import N_PIXELS
from vae_core.densities import (
    bernoulli_log_likelihood,
    kl_to_standard_normal,
    log_diag_normal,
    log_standard_normal,
)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "softplus": nn.Softplus, "gelu": nn.GELU}


@dataclass
class VAEConfig:
    """Architecture of :class:`VAE`; stored in the checkpoint as ``model_args`` (plain dict).

    ``encoder_hidden`` / ``decoder_hidden`` are the MLP widths (input side first); each network
    has its own activation (a smooth, small encoder generalizes better to unseen digits).
    """

    x_dim: int = N_PIXELS
    z_dim: int = 2
    encoder_hidden: list[int] = field(default_factory=lambda: [200, 200])
    decoder_hidden: list[int] = field(default_factory=lambda: [256, 512])
    encoder_activation: str = "tanh"
    decoder_activation: str = "tanh"

    def __post_init__(self) -> None:
        for act in (self.encoder_activation, self.decoder_activation):
            if act not in ACTIVATIONS:
                raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {act!r}")
        self.encoder_hidden = [int(w) for w in self.encoder_hidden]
        self.decoder_hidden = [int(w) for w in self.decoder_hidden]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, args: dict) -> VAEConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(args) - known
        if unknown:
            raise ValueError(f"unknown VAEConfig fields {sorted(unknown)}")
        return cls(**args)


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class VAEOutput(NamedTuple):
    """The intermediates of one forward pass (L samples per image), all in nats where a number.

    mu, logvar: (B, D_z) encoder outputs; z: (L, B, D_z) samples; logits: (L, B, D_x) decoder
    outputs; recon: (B,) mean over L of log p_θ(x|z); kl: (B,) closed-form
    KL(q_φ(z|x) ‖ p(z)); elbo: (B,) = recon − kl (eq. 1.4.13); log_w: (L, B) importance log-weights
    log p_θ(x|z) + log p(z) − log q_φ(z|x).
    """

    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor
    logits: torch.Tensor
    recon: torch.Tensor
    kl: torch.Tensor
    elbo: torch.Tensor
    log_w: torch.Tensor

    def iwae_bound(self) -> torch.Tensor:
        """(B,) the importance-weighted bound log (1/L) Σ_l w_l ≥ ELBO (Burda et al. 2016)."""
        return torch.logsumexp(self.log_w, dim=0) - math.log(self.log_w.shape[0])


class VAE(nn.Module):
    """MLP encoder q_φ(z|x) and MLP decoder p_θ(x|z) with Bernoulli pixels (eq. 1.4.12)."""

    def __init__(self, config: VAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or VAEConfig()
        c = self.config
        self.encoder_body = _mlp([c.x_dim, *c.encoder_hidden], c.encoder_activation)
        self.encoder_act = ACTIVATIONS[c.encoder_activation]()
        self.to_mu = nn.Linear(c.encoder_hidden[-1], c.z_dim)
        self.to_logvar = nn.Linear(c.encoder_hidden[-1], c.z_dim)
        self.decoder = _mlp([c.z_dim, *c.decoder_hidden, c.x_dim], c.decoder_activation)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_φ(z|x): x (B, D_x) in [0, 1] -> (mu (B, D_z), logvar (B, D_z)), logvar = log σ²."""
        hidden = self.encoder_act(self.encoder_body(x))  # (B, H)
        return self.to_mu(hidden), self.to_logvar(hidden)  # (B, D_z), (B, D_z)

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = μ + σ ⊙ ε, ε ~ N(0, I) (section 1.4.2.2): the sample is a differentiable
        function of (μ, σ), so the reconstruction term's gradient flows into the encoder."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)  # (..., D_z)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """p_θ(x|z): z (N, D_z) -> Bernoulli logits (N, D_x); pixel means are sigmoid(logits)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> VAEOutput:
        """The terms of eq. 1.4.13 for binary x (B, D_x) with L = ``n_samples`` draws per image."""
        mu, logvar = self.encode(x)  # (B, D_z)
        z = self.reparameterize(mu.expand(n_samples, *mu.shape), logvar.expand(n_samples, *logvar.shape), generator)
        logits = self.decode(z.reshape(-1, self.config.z_dim)).view(n_samples, *x.shape)  # (L, B, D_x)
        log_px_z = bernoulli_log_likelihood(x, logits)  # (L, B)
        kl = kl_to_standard_normal(mu, logvar)  # (B,)
        log_w = log_px_z + log_standard_normal(z) - log_diag_normal(z, mu, logvar)  # (L, B)
        recon = log_px_z.mean(dim=0)
        return VAEOutput(mu, logvar, z, logits, recon, kl, recon - kl, log_w)
