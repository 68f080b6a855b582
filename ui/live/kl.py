"""Live view of the Gaussian KL page: p and q's sliders, both densities and the integrand of
eq. 1.4.11 with its signed area, KL(p‖q) and KL(q‖p), redrawn in the browser at every frame
(static/live/kl.js; closed forms in static/live/math.js, held equal to vae_core.gaussian)."""

from __future__ import annotations

from ui.i18n import t
from ui.live import register, state_view

NAMES = ("mu1", "sigma1", "mu2", "sigma2")
_VIEW = register("kl")
_TEXT_KEYS = (
    "p_header",
    "q_header",
    "mu1",
    "sigma1",
    "mu2",
    "sigma2",
    "fig_density",
    "fig_integrand",
    "integrand_pos",
    "integrand_neg",
    "area_note",
    "asymmetry",
)


def kl_view(state) -> tuple[float, float, float, float]:
    """Mount the live KL view for the page's URL state → the settled (μ₁, σ₁, μ₂, σ₂)."""
    text = {key: t(f"kl.{key}", kl="{kl}", diff="{diff}") for key in _TEXT_KEYS}
    text["chart_aria"] = t("live.kl_chart_aria")
    values = state_view(_VIEW, state, NAMES, {"text": text})
    return tuple(values[name] for name in NAMES)
