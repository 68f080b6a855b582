"""Likelihood tools for the 2-D VAE: ELBO terms, importance sampling, exact grid log p(x).

Everything is in nats and in log space (``logsumexp``, ``softplus``). Inputs are binary
images ``x`` of shape (B, D_x) with D_x = 784; a ``model`` is anything with ``encode(x) ->
(mu, logvar)``, ``decode(z) -> logits`` and ``config.z_dim`` (see ``vae_core.model.VAE``).
No streamlit here. These torch versions serve training and the model card; the pages serve the
same estimates in numpy (vae_core.np_vae, held equal to these by tests/test_np_vae.py).

The three estimates of log p(x) the app compares, for one image x:

- ELBO (eq. 1.4.12, estimated as in eq. 1.4.13)
  ``E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))``  ≤ log p(x).
- importance sampling with k draws from q (the IWAE bound, Burda et al. 2016)
  ``log (1/k) Σ_i p_θ(x|z_i) p(z_i) / q_φ(z_i|x)``; its expectation rises with k toward log p(x).
- quadrature on a grid over the 2-D latent plane: log ∫ p_θ(x|z) p(z) dz, (near-)exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from vae_core.densities import bernoulli_log_likelihood, kl_to_standard_normal, log_diag_normal, log_standard_normal
from vae_core.np_vae import DEFAULT_CHUNK, GRID_LIM, grid_axis  # shared with the numpy estimates


@dataclass(frozen=True)
class ElboTerms:
    """Per-image terms of eq. 1.4.12, each (B,) in nats.

    ``recon`` is the L-sample Monte Carlo mean of log p_θ(x|z) (eq. 1.4.13) and ``recon_se``
    its standard error (0 when L = 1); ``kl`` is exact. ``elbo = recon − kl``.
    """

    recon: torch.Tensor
    recon_se: torch.Tensor
    kl: torch.Tensor

    @property
    def elbo(self) -> torch.Tensor:
        return self.recon - self.kl


def _as_float(x: torch.Tensor | np.ndarray, model) -> torch.Tensor:
    device = next(model.parameters()).device
    return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, device=device).float()


def elbo_terms(model, x, n_samples: int = 1, generator: torch.Generator | None = None) -> ElboTerms:
    """Estimate the ELBO of eq. 1.4.12 for each image with ``n_samples`` reparameterized draws.

    Args:
        model: the VAE.
        x: (B, D_x) binary images (tensor or array).
        n_samples: L in eq. 1.4.13.
        generator: a seeded ``torch.Generator`` on the model's device, for reproducible draws.
    """
    x = _as_float(x, model)
    with torch.inference_mode():
        mu, logvar = model.encode(x)  # (B, D_z)
        eps = torch.randn((n_samples, *mu.shape), generator=generator, device=mu.device)  # (L, B, D_z)
        z = mu + torch.exp(0.5 * logvar) * eps
        recon = bernoulli_log_likelihood(x, model.decode(z.reshape(-1, mu.shape[-1])).view(n_samples, *x.shape))
        recon_se = recon.std(dim=0) / math.sqrt(n_samples) if n_samples > 1 else torch.zeros_like(recon[0])
        return ElboTerms(recon=recon.mean(dim=0), recon_se=recon_se, kl=kl_to_standard_normal(mu, logvar))


def log_px_importance(
    model, x, k: int, generator: torch.Generator | None = None, chunk: int = DEFAULT_CHUNK
) -> torch.Tensor:
    """Importance-sampled log p(x) with k draws from q_φ(z|x) (the IWAE bound), (B,) nats.

    log p̂(x) = logsumexp_i [log p_θ(x|z_i) + log p(z_i) − log q_φ(z_i|x)] − log k, z_i ~ q.
    k = 1 is a one-sample ELBO; the expected value rises with k toward log p(x) but, for narrow
    posteriors, can stay several nats below it even at k = 5000. Draws are processed in chunks
    of about ``chunk`` decoder calls with a running logsumexp, so memory stays bounded.
    """
    x = _as_float(x, model)
    with torch.inference_mode():
        mu, logvar = model.encode(x)  # (B, D_z)
        batch = x.shape[0]
        per_step = max(1, chunk // batch)
        total = torch.full((batch,), -math.inf, device=x.device)
        for start in range(0, k, per_step):
            n = min(per_step, k - start)
            eps = torch.randn((n, *mu.shape), generator=generator, device=mu.device)  # (n, B, D_z)
            z = mu + torch.exp(0.5 * logvar) * eps
            logits = model.decode(z.reshape(-1, mu.shape[-1])).view(n, *x.shape)  # (n, B, D_x)
            log_w = bernoulli_log_likelihood(x, logits) + log_standard_normal(z) - log_diag_normal(z, mu, logvar)
            total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
        return total - math.log(k)


def _grid_points(z1: np.ndarray, z2: np.ndarray, device) -> torch.Tensor:
    """All (z1, z2) pairs, z1 varying fastest: (n2 * n1, 2), so a (B, n2*n1) result views as (B, n2, n1)."""
    zz2, zz1 = torch.meshgrid(torch.as_tensor(z2), torch.as_tensor(z1), indexing="ij")
    return torch.stack([zz1.reshape(-1), zz2.reshape(-1)], dim=-1).float().to(device)


def _grid_log_joint_chunks(model, x: torch.Tensor, z: torch.Tensor, chunk: int):
    """Yield ``(z_chunk (g, 2), log p_θ(x|z) + log p(z) (B, g))`` over chunks of grid points.

    For binary x, log p(x|z_g) for all images and grid points is one matrix product
    x @ ℓ_gᵀ minus the row sums of softplus(ℓ_g), so the decoder runs once per grid point.
    """
    for zc in z.split(chunk):
        logits = model.decode(zc)  # (g, D_x)
        loglik = x @ logits.T - F.softplus(logits).sum(dim=-1)  # (B, g)
        yield zc, loglik + log_standard_normal(zc)


@dataclass(frozen=True)
class GridPosterior:
    """Quadrature of p(x) = ∫ p_θ(x|z) p(z) dz on a grid of cell centres ``z1`` × ``z2``.

    ``log_px`` (B,) nats; ``posterior`` (B, n2, n1) the normalized true posterior p(z|x) as a
    probability per cell (rows index z2, columns z1, ready for a contour/heatmap), or None;
    ``mean``, ``sd`` (B, 2) its moments on the grid; ``mode`` (B, 2) the centre of the most
    probable cell and ``peak_mass`` (B,) that cell's posterior probability.
    """

    log_px: torch.Tensor
    z1: np.ndarray
    z2: np.ndarray
    mean: torch.Tensor
    sd: torch.Tensor
    mode: torch.Tensor
    peak_mass: torch.Tensor
    posterior: torch.Tensor | None


def log_px_grid(
    model,
    x,
    lim: float = GRID_LIM,
    n: int = 1000,
    center: tuple[float, float] = (0.0, 0.0),
    return_posterior: bool = False,
    chunk: int = DEFAULT_CHUNK,
) -> GridPosterior:
    """log p(x) by the midpoint rule on an n × n grid over [c − lim, c + lim]² (2-D latent only).

    log p(x) ≈ logsumexp_g [log p_θ(x|z_g) + log p(z_g)] + log(h²), h = 2·lim/n. Mass outside
    the box is ignored, so keep the default box (the prior's mass outside [−6, 6]² is < 2e-8)
    unless you only want a zoomed picture of the posterior. The midpoint rule converges very
    fast for smooth, peaked integrands once h is below about the posterior's width; see
    :func:`log_px_refined` for a check on narrow posteriors. Streams over the grid, so memory
    is O(B · chunk) unless ``return_posterior``.
    """
    if model.config.z_dim != 2:
        raise ValueError("grid quadrature needs a 2-D latent")
    x = _as_float(x, model)
    z1, z2 = grid_axis(lim, n, center[0]), grid_axis(lim, n, center[1])
    points = _grid_points(z1, z2, x.device)
    log_cell = math.log(2.0 * lim / n) * 2.0
    batch = x.shape[0]
    with torch.inference_mode():
        # running logsumexp and first/second moments, scaled by exp(-running max)
        top = torch.full((batch,), -math.inf, device=x.device)
        s0 = torch.zeros(batch, device=x.device)
        s1 = torch.zeros(batch, 2, device=x.device)
        s2 = torch.zeros(batch, 2, device=x.device)
        mode = torch.zeros(batch, 2, device=x.device)
        kept = []
        for zc, log_joint in _grid_log_joint_chunks(model, x, points, chunk):
            chunk_top, where = log_joint.max(dim=-1)  # (B,)
            mode = torch.where((chunk_top > top)[:, None], zc[where], mode)
            new_top = torch.maximum(top, chunk_top)  # (B,)
            scale = torch.exp(top - new_top)[:, None]
            w = torch.exp(log_joint - new_top[:, None])  # (B, g)
            s0 = s0 * scale[:, 0] + w.sum(dim=-1)
            s1 = s1 * scale + w @ zc
            s2 = s2 * scale + w @ zc.pow(2)
            top = new_top
            if return_posterior:
                kept.append(log_joint)
        log_sum = top + torch.log(s0)  # (B,)
        mean = s1 / s0[:, None]
        sd = (s2 / s0[:, None] - mean.pow(2)).clamp_min(0.0).sqrt()
        posterior = None
        if return_posterior:
            posterior = torch.exp(torch.cat(kept, dim=-1) - log_sum[:, None]).view(batch, len(z2), len(z1))
    return GridPosterior(
        log_px=log_sum + log_cell,
        z1=z1,
        z2=z2,
        mean=mean,
        sd=sd,
        mode=mode,
        peak_mass=torch.exp(top - log_sum),
        posterior=posterior,
    )


@dataclass(frozen=True)
class RefinedGrid:
    """Coarse-grid and zoom-refined log p(x), (B,) nats each.

    ``half_width`` (B,) of the zoom box; ``zoomed`` (B,) bool, False where the zoom grid would
    not have been finer than the coarse grid (then ``refined`` = ``coarse``).
    """

    coarse: torch.Tensor
    refined: torch.Tensor
    half_width: torch.Tensor
    zoomed: torch.Tensor


def log_px_refined(
    model,
    x,
    lim: float = GRID_LIM,
    n: int = 1000,
    n_zoom: int = 100,
    width_in_sd: float = 8.0,
    chunk: int = DEFAULT_CHUNK,
) -> RefinedGrid:
    """Check the coarse grid by re-integrating each posterior's main mode on its own fine grid.

    The mode's width is read off the coarse grid: a Gaussian bump of s.d. s puts a fraction
    p ≈ h² / (2π s²) of its mass in its peak cell, so s ≈ h / sqrt(2π p) (this stays local
    when the posterior has other modes, unlike the global s.d.). The box mode ± a,
    a = max(width_in_sd · s, 4 h), is integrated on an ``n_zoom``² grid, and the coarse cells
    outside it are added back (so other modes still count). ``refined − coarse`` measures the
    coarse grid's quadrature error on the main mode.
    """
    x = _as_float(x, model)
    h = 2.0 * lim / n
    coarse = log_px_grid(model, x, lim=lim, n=n, chunk=chunk)
    local_sd = h / torch.sqrt(2.0 * math.pi * coarse.peak_mass)  # (B,)
    half = torch.clamp_min(width_in_sd * local_sd, 4.0 * h)  # (B,)
    zoomed = 2.0 * half / n_zoom < 0.5 * h  # the zoom grid is at least twice as fine
    center = coarse.mode
    with torch.inference_mode():
        # pass 2 over the coarse grid: mass of the cells outside each image's zoom box
        top = torch.full((x.shape[0],), -math.inf, device=x.device)
        for zc, log_joint in _grid_log_joint_chunks(model, x, _grid_points(coarse.z1, coarse.z2, x.device), chunk):
            outside = ((zc[None, :, :] - center[:, None, :]).abs() > half[:, None, None]).any(dim=-1)  # (B, g)
            top = torch.logaddexp(top, torch.logsumexp(log_joint.masked_fill(~outside, -math.inf), dim=-1))
        log_outside = top + 2.0 * math.log(h)
    refined = coarse.log_px.clone()
    for i in torch.nonzero(zoomed).flatten().tolist():
        c = (float(center[i, 0]), float(center[i, 1]))
        zoom = log_px_grid(model, x[i : i + 1], lim=float(half[i]), n=n_zoom, center=c, chunk=chunk)
        refined[i] = torch.logaddexp(zoom.log_px[0], log_outside[i])
    return RefinedGrid(coarse=coarse.log_px, refined=refined, half_width=half, zoomed=zoomed)
