"""Live view of the reparameterization page: μ and σ move the page's fixed ε draws along
z = μ + σε, with each sample's pathwise gradient and the score-function terms beside them, every
frame in the browser (static/live/reparam.js; closed forms in static/live/gradients.js, held
equal to vae_core.gradients)."""

from __future__ import annotations

import numpy as np

from ui.figures_reparameterization import AXIS, COLOURS
from ui.i18n import t
from ui.live import register, state_view

NAMES = ("mu", "sigma")
_VIEW = register("reparam")


def reparam_view(state, eps: np.ndarray, kind: str, k: float, baseline: bool) -> tuple[float, float]:
    """Mount the live view for the page's URL state; ``eps``: the page's fixed draws (N,), seeded on
    the server. The f, k and baseline controls are server widgets: the view draws with their settled
    values. Returns the settled (μ, σ)."""
    text = {
        "mu": t("reparameterization.mu_label"),
        "sigma": t("reparameterization.sigma_label"),
        "first": t("reparameterization.map_first"),
        "exact": t("reparameterization.exact"),
        **{f"est_{name}": t(f"reparameterization.est_{name}") for name in COLOURS},
        **{
            key: t(f"live_vae.reparam_{key}", n=len(eps))
            for key in (
                "chart_aria",
                "controls_note",
                "slopes_title",
                "terms_title",
                "terms_axis",
                "mean",
                "mean_short",
            )
        },
    }
    data = {
        "text": text,
        "eps": [float(e) for e in eps],
        "f": kind,
        "k": k,
        "baseline": bool(baseline),
        "axis": AXIS,
        "colours": COLOURS,
    }
    values = state_view(_VIEW, state, NAMES, data)
    return values["mu"], values["sigma"]
