"""Live views of the Gaussian KL page: p and q's sliders, both densities and the integrand of
eq. 1.4.11 with its signed area, KL(p‖q) and KL(q‖p), redrawn in the browser at every frame
(static/live/kl.js; closed forms in static/live/math.js, held equal to vae_core.gaussian); and the
KL landscape over every q (static/live/kl_landscape.js), which follows a drag of the first."""

from __future__ import annotations

from ui.figures_gaussian_kl import landscape_data
from ui.i18n import t
from ui.live import mount, register, state_view

NAMES = ("mu1", "sigma1", "mu2", "sigma2")
_VIEW = register("kl")
_LANDSCAPE = register("kl_landscape")
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
    text = {key: t(f"gaussian_kl.{key}", kl="{kl}", diff="{diff}") for key in _TEXT_KEYS}
    text["chart_aria"] = t("live.kl_chart_aria")
    values = state_view(_VIEW, state, NAMES, {"text": text})
    return tuple(values[name] for name in NAMES)


def kl_landscape(state, mu1: float, sigma1: float, mu2: float, sigma2: float, direction: str) -> None:
    """Mount the landscape of ``direction`` ("pq": KL(p‖q), "qp": KL(q‖p)) at p = (μ₁, σ₁), q = (μ₂, σ₂):
    a few hundred bytes per rerun; the browser computes the cells (ui/figures_gaussian_kl.landscape_data)."""
    text = {
        "chart_aria": t("gaussian_kl.landscape_aria", which=t(f"gaussian_kl.land_{direction}")),
        "hover": "μ₂ = {mu}, σ₂ = {sigma}: " + t(f"gaussian_kl.land_{direction}") + " = {kl}",
    }
    values = {"mu1": mu1, "sigma1": sigma1, "mu2": mu2, "sigma2": sigma2}
    data = {"text": text, "values": values, **landscape_data(direction)}
    mount(_LANDSCAPE, state.key("live_landscape"), data, _no_release)


def _no_release() -> None:
    """The landscape only shows; it reports nothing."""
