"""Figures of the Gaussian KL page (views/gaussian_kl.py): numbers in, a plotly figure with its
labels in the current language (``t()``) out. No widgets.

Speed (docs/benchmarks.md, ui/plots.py): every figure whose spec changes is redrawn from
scratch in the browser, so each is built in one pass from plain dicts, with as few traces and
points as the picture needs, and anything that does not depend on the sliders (the colour
scale of the landscape) lives in a figure of its own that stays byte-identical between moves.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ui.components import Q_ORANGE
from ui.i18n import t
from ui.plots import KEY_LEGEND, figure, key_title, log_ticks
from vae_core.gaussian import kl_normal

KL_FLOOR = 1e-3  # log-scale colouring needs KL > 0; the minimum itself is marked with a star
KL_LOG_RANGE = (-3, 4)  # colour scale: log10 KL from 0.001 to 10,000 nats
COLORSCALE = "Viridis"
SIGMA_TICKS = (0.1, 0.2, 0.5, 1, 2, 5)
MIN_MARKER = {"symbol": "star", "size": 16, "color": "white", "line": {"color": "black", "width": 1}}
Q_MARKER = {"symbol": "x", "size": 14, "color": Q_ORANGE, "line": {"color": "black", "width": 1}}


# μ₂ over the slider range [−5, 5] and σ₂ over [0.1, 5] (uniform in log σ), each with a margin so a
# marker at the end of a slider is still drawn whole.
LANDSCAPE_MU = np.linspace(-5.5, 5.5, 67)
LANDSCAPE_LOG_SIGMA = np.linspace(-1.06, math.log10(5.0) + 0.06, 63)


def landscape_figure(mu1: float, sigma1: float, mu2: float, sigma2: float, direction: str) -> go.Figure:
    """log10 KL over (μ₂, σ₂) with p fixed — KL(p‖q) for ``direction="pq"``, KL(q‖p) for "qp" —
    with the minimum q = p (star) and the current q (cross). Its colour scale and legend are
    :func:`colour_key_figure`, a figure of its own that does not change with the sliders.

    The y axis is log10 σ₂ on a *linear* axis with σ-valued ticks: on a uniform grid plotly draws
    the heatmap as one image (on a log axis it draws each of the ~4,000 cells).
    """
    label_min, label_q = t("kl.minimum"), t("kl.current_q")
    m2, s2 = LANDSCAPE_MU[None, :], 10.0 ** LANDSCAPE_LOG_SIGMA[:, None]  # rows: σ₂, columns: μ₂
    kl = kl_normal(mu1, sigma1, m2, s2) if direction == "pq" else kl_normal(m2, s2, mu1, sigma1)
    y = LANDSCAPE_LOG_SIGMA

    def marker(mx, sx, name, style):
        return {
            "type": "scatter",
            "x": [mx],
            "y": [math.log10(sx)],
            "mode": "markers",
            "name": name,
            "hoverinfo": "skip",
            "marker": style,
        }

    data = [
        {
            "type": "heatmap",
            "x0": LANDSCAPE_MU[0],
            "dx": LANDSCAPE_MU[1] - LANDSCAPE_MU[0],
            "y0": y[0],
            "dy": y[1] - y[0],
            "z": np.log10(np.maximum(kl, KL_FLOOR)).astype(np.float32),
            "customdata": kl.astype(np.float32),  # float32 halves what travels; hover shows 4 digits
            "colorscale": COLORSCALE,
            "zmin": KL_LOG_RANGE[0],
            "zmax": KL_LOG_RANGE[1],
            "showscale": False,
            "hovertemplate": "μ₂=%{x:.2f}<br>log₁₀σ₂=%{y:.2f}<br>KL=%{customdata:.4g}<extra></extra>",
        },
        marker(mu1, sigma1, label_min, MIN_MARKER),
        marker(mu2, sigma2, label_q, Q_MARKER),
    ]
    return figure(
        data,
        380,
        {"l": 50, "b": 45},
        legend_top=False,
        showlegend=False,
        xaxis={"title": {"text": "μ₂"}, "range": [LANDSCAPE_MU[0], LANDSCAPE_MU[-1]]},
        yaxis={
            "title": {"text": "σ₂"},
            "range": [y[0], y[-1]],
            "tickvals": np.log10(SIGMA_TICKS),
            "ticktext": [f"{v:g}" for v in SIGMA_TICKS],
        },
    )


def colour_key_figure(direction: str) -> go.Figure:
    """The landscape's key: its colour scale as a horizontal bar (log10 KL from 10⁻³ to 10⁴, real
    values on the ticks) and what the star and the cross mean. It depends on nothing a slider moves,
    so it is not redrawn when one does."""
    title, label_min, label_q = t(f"kl.land_{direction}"), t("kl.minimum"), t("kl.current_q")
    lo, hi = KL_LOG_RANGE
    steps = np.linspace(lo, hi, 141)
    legend_only = {"type": "scatter", "x": [None], "y": [None], "mode": "markers", "hoverinfo": "skip"}
    return figure(
        [
            {
                "type": "heatmap",
                "z": steps[None, :],
                "x0": lo,
                "dx": steps[1] - steps[0],
                "y0": 0,
                "dy": 1,
                "colorscale": COLORSCALE,
                "zmin": lo,
                "zmax": hi,
                "showscale": False,
                "hoverinfo": "skip",
            },
            {**legend_only, "name": label_min, "marker": {**MIN_MARKER, "color": "white"}},
            {**legend_only, "name": label_q, "marker": Q_MARKER},
        ],
        140,
        {"l": 50, "r": 40, "t": 34, "b": 70},
        legend_top=False,
        title=key_title(title),
        # The two entries one a row under the tick labels, in a bottom margin of their own: beside the
        # title they crowded it and the bar's ends in a narrow column, worse at projector size.
        legend=KEY_LEGEND,
        xaxis={**log_ticks(lo, hi), "range": [lo - 0.03, hi + 0.03], "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
    )
