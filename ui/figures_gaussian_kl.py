"""Figures of the Gaussian KL page (views/gaussian_kl.py): numbers in, chart specs with their labels
in the current language (``t()``) out, and the landscape's grid for its live view. No widgets.

Both are drawn by the live layer, so the page loads no Plotly (its 4.7 MB module cost every fresh
load ~1–2 s of browser CPU for one small key; docs/benchmarks.md "Pages without Plotly"): the
landscape (static/live/kl_landscape.js) from p, q and :func:`landscape_data`, its colour key
(static/live/chart.js) from :func:`colour_key_chart`, which no slider changes.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.colors

from ui.components import Q_ORANGE
from ui.i18n import t
from ui.live import chart as lc
from vae_core.gaussian import kl_normal

KL_FLOOR = 1e-3  # log-scale colouring needs KL > 0; the minimum itself is marked with a star
KL_LOG_RANGE = (-3, 4)  # colour scale: log10 KL from 0.001 to 10,000 nats
# plotly's Viridis as explicit stops: the colour key (plotly) and the landscape (canvas,
# static/live/kl_landscape.js) interpolate the same stops, so the key reads the picture exactly.
COLORSCALE = plotly.colors.get_colorscale("Viridis")
SIGMA_TICKS = (0.1, 0.2, 0.5, 1, 2, 5)
MIN_MARKER = {"symbol": "star", "size": 16, "color": "white", "line": {"color": "black", "width": 1}}
Q_MARKER = {"symbol": "x", "size": 14, "color": Q_ORANGE, "line": {"color": "black", "width": 1}}


# μ₂ over the slider range [−5, 5] and σ₂ over [0.1, 5] (uniform in log σ), each with a margin so a
# marker at the end of a slider is still drawn whole.
LANDSCAPE_MU = np.linspace(-5.5, 5.5, 67)
LANDSCAPE_LOG_SIGMA = np.linspace(-1.06, math.log10(5.0) + 0.06, 63)


def landscape_grid(mu1: float, sigma1: float, direction: str) -> np.ndarray:
    """(63, 67) log10 max(KL, KL_FLOOR) over (σ₂, μ₂) with p fixed — KL(p‖q) for ``direction="pq"``,
    KL(q‖p) for "qp"; rows are σ₂ = 10^LANDSCAPE_LOG_SIGMA (smallest first), columns μ₂. The live
    landscape (static/live/landscape_math.js) computes the same grid in the browser."""
    m2, s2 = LANDSCAPE_MU[None, :], 10.0 ** LANDSCAPE_LOG_SIGMA[:, None]
    kl = kl_normal(mu1, sigma1, m2, s2) if direction == "pq" else kl_normal(m2, s2, mu1, sigma1)
    return np.log10(np.maximum(kl, KL_FLOOR))


def landscape_data(direction: str) -> dict:
    """What the live landscape needs besides p and q (ui/live/kl.py): the grid's shape (μ₂ and
    log10 σ₂ uniform, as the plotly heatmap had them), the colour scale and its range, the σ₂ ticks.

    Measured (docs/benchmarks.md, issue 24): the plotly heatmap cost the browser more on every
    release than the rest of the fragment, to redraw a picture that four numbers determine; the
    browser computes it in well under a millisecond."""
    return {
        "direction": direction,
        "grid": {
            "x0": float(LANDSCAPE_MU[0]),
            "dx": float(LANDSCAPE_MU[1] - LANDSCAPE_MU[0]),
            "nx": LANDSCAPE_MU.size,
            "y0": float(LANDSCAPE_LOG_SIGMA[0]),
            "dy": float(LANDSCAPE_LOG_SIGMA[1] - LANDSCAPE_LOG_SIGMA[0]),
            "ny": LANDSCAPE_LOG_SIGMA.size,
            "floor": KL_FLOOR,
        },
        "colorscale": COLORSCALE,
        "zrange": list(KL_LOG_RANGE),
        "sigmaTicks": [[math.log10(v), f"{v:g}"] for v in SIGMA_TICKS],
    }


def colour_key_chart(direction: str) -> dict:
    """The landscape's key (a ui/live/chart.py spec): its colour scale as a horizontal bar (log10 KL
    from 10⁻³ to 10⁴, real values on the ticks), its title and what the star and the cross mean in
    HTML around it. It depends on nothing a slider moves, so it is not redrawn when one does."""
    lo, hi = KL_LOG_RANGE
    ticks = [(v, f"{10.0**v:g}") for v in range(lo, hi + 1)]
    legend = [
        lc.item(t("gaussian_kl.minimum"), MIN_MARKER["color"], kind="marker", symbol="star", line="#000000"),
        lc.item(t("gaussian_kl.current_q"), Q_MARKER["color"], kind="marker", symbol="x", line="#000000"),
    ]
    return lc.spec(
        "kl_key",
        62,
        {"l": 40, "r": 40, "t": 4, "b": 24},
        [
            lc.panel(
                lc.axis(span=(lo - 0.03, hi + 0.03), ticks=ticks),
                lc.axis(hidden=True),
                [lc.gradient(lo, hi, COLORSCALE)],
            )
        ],
        legend,
        legend_at="bottom",
        legend_columns=1,  # one entry a row, as the plotly key had them (side by side they crowded a column)
        title=t(f"gaussian_kl.land_{direction}"),
        aria=t("gaussian_kl.key_aria", title=t(f"gaussian_kl.land_{direction}")),
    )
