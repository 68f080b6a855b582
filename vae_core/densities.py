"""The VAE's log densities in torch, in nats: the Bernoulli decoder p_θ(x|z), the prior N(0, I),
the Gaussian encoder q_φ(z|x) and its KL to the prior (eq. 1.4.12). Shared by the model, its
evaluation and the latent explorer."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2.0 * math.pi)


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log p_θ(x|z) = Σ_d [x_d ℓ_d − softplus(ℓ_d)] for Bernoulli pixels with logits ℓ.

    ``x`` (..., D_x) in {0, 1} (values in [0, 1] give the cross-entropy); ``logits`` broadcast
    against it. Returns (...,) in nats: the reconstruction term of eq. 1.4.12 for one z.
    """
    return (x * logits - F.softplus(logits)).sum(dim=-1)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), the prior-matching term
    of eq. 1.4.12 in closed form. ``mu``, ``logvar`` (..., D_z) -> (...,) nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=-1)


def log_standard_normal(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) for z (..., D_z) -> (...,)."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(dim=-1)


def log_diag_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; μ, diag σ²) for z, μ, log σ² broadcasting to (..., D_z) -> (...,)."""
    return -0.5 * ((z - mu).pow(2) * torch.exp(-logvar) + logvar + LOG_2PI).sum(dim=-1)
