"""Figures of the latent explorer (views/latent.py): the plotly zoom on one digit's posterior
and its gap. Pure builders: data in, spec out; the page caches them and decides what to redraw. The
latent map itself is drawn in the browser (static/live/latent_map.js and latent.js), in the class
colours below."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, P_BLUE, POSTERIOR_GREEN, Q_ORANGE, num
from ui.i18n import count, t
from ui.plots import figure, rgba
from vae_core import latent

Z_LIM = 4.0  # the map's and the sliders' range of z₁, z₂
FRAMES = 10  # interpolation frames, both ends included
SWEEP_KS, SWEEP_REPEATS = (1, 10, 100, 1000, 5000), 5
DOTS = 300  # draws from q shown on the zoomed posterior
CURRENT = "#f5c400"  # the current z: a yellow star on the map, a yellow frame on the manifold
DIGIT_COLOURS = (
    "#3366cc",
    "#dc3912",
    "#109618",
    "#990099",
    "#0099c6",
    "#dd4477",
    "#66aa00",
    "#b82e2e",
    "#316395",
    "#aaaa11",
)


def curve(points: np.ndarray, **trace) -> dict:
    return {"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "lines", **trace}


def rings(mu, sd) -> np.ndarray:
    """The 1σ and 2σ ellipses of N(μ, diag σ²) as one polyline, separated by a NaN row."""
    gap = np.full((1, 2), np.nan)
    return np.concatenate(
        [latent.ellipse(mu, sd, latent.PRIOR_RADII[0]), gap, latent.ellipse(mu, sd, latent.PRIOR_RADII[1])]
    )


def posterior_figure(post, imp, box) -> go.Figure:
    """Zoom on one digit: p(z|x) on the grid (green: 39 % and 86 % highest-density regions), the
    encoder's q(z|x) rings (orange, same masses), and the first draws from q used by the IS estimate."""
    (cx, cy), half = box
    cols = np.flatnonzero(np.abs(post.z1 - cx) <= half)
    rows = np.flatnonzero(np.abs(post.z2 - cy) <= half)
    stride = max(1, int(np.ceil(max(len(cols), len(rows)) / 150)))
    cols, rows = cols[::stride], rows[::stride]
    log_density = post.log_density()[np.ix_(rows, cols)]
    inner, outer = post.hpd_levels()
    density = np.exp(log_density - log_density.max())
    draws = imp.z[:DOTS]
    data = [
        {
            "type": "heatmap",
            "x": post.z1[cols],
            "y": post.z2[rows],
            "z": density,
            "showscale": False,
            "colorscale": [[0, "rgba(255,255,255,0)"], [1, rgba(POSTERIOR_GREEN, 0.55)]],
            "hoverinfo": "skip",
        },
        {
            "type": "contour",
            "x": post.z1[cols],
            "y": post.z2[rows],
            "z": log_density,
            "showscale": False,
            "colorscale": [[0, POSTERIOR_GREEN], [1, POSTERIOR_GREEN]],
            "contours": {"coloring": "lines", "start": outer, "end": inner, "size": max(inner - outer, 1e-6)},
            "line": {"color": POSTERIOR_GREEN, "width": 2.5},
            "name": t("latent.post_contours"),
            "showlegend": True,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": draws[:, 0],
            "y": draws[:, 1],
            "mode": "markers",
            "hoverinfo": "skip",
            "name": t("latent.post_draws", shown=len(draws)),
            "marker": {"size": 4, "color": "rgba(120,60,0,0.45)"},
        },  # brown: q's draws, darker than q's rings
        curve(
            rings(post.mu_q, post.sd_q),
            name=t("latent.post_q"),
            hoverinfo="skip",
            line={"color": Q_ORANGE, "width": 2.5},
        ),
        {
            "type": "scatter",
            "x": [post.mu_q[0], post.post_mean[0]],
            "y": [post.mu_q[1], post.post_mean[1]],
            "mode": "markers",
            "hoverinfo": "skip",
            "showlegend": False,
            "marker": {
                "symbol": ["x", "cross"],
                "size": 11,
                "color": [Q_ORANGE, POSTERIOR_GREEN],
                "line": {"color": "white", "width": 1},
            },
        },
    ]
    layout = {
        "xaxis": {"range": [cx - half, cx + half], "title": {"text": "z₁"}, "zeroline": False, "constrain": "domain"},
        "yaxis": {
            "range": [cy - half, cy + half],
            "title": {"text": "z₂"},
            "scaleanchor": "x",
            "scaleratio": 1,
            "zeroline": False,
            "constrain": "domain",
        },
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    }
    return figure(data, 500, {"l": 55, "t": 30, "b": 110}, legend_top=False, **layout)


def gap_figure(post, sweep, imp, k: int) -> go.Figure:
    """log p(x) (exact), the ELBO (exact by quadrature), the gap between them, and importance-
    sampled estimates for each k (5 seeded repeats and their mean), the chosen k with ± 1 s.e."""
    ks = np.array(SWEEP_KS, dtype=float)
    top, bottom = post.log_px, post.elbo_quad
    lo = min(bottom, float(sweep.min()), imp.log_px - imp.se)
    hi = max(top, float(sweep.max()), imp.log_px + imp.se)
    span = max(hi - lo, 1.0)
    data = [
        {
            "type": "scatter",
            "x": [0.7, 7000, 7000, 0.7],
            "y": [bottom, bottom, top, top],
            "fill": "toself",
            "mode": "none",
            "fillcolor": rgba(GAP_RED, 0.12),
            "name": t("latent.gap_band"),
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [0.7, 7000],
            "y": [top, top],
            "mode": "lines",
            "line": {"color": P_BLUE, "width": 3},
            "name": t("latent.gap_logpx", value=num(top, 2)),
        },
        {
            "type": "scatter",
            "x": [0.7, 7000],
            "y": [bottom, bottom],
            "mode": "lines",
            "line": {"color": Q_ORANGE, "width": 3, "dash": "dash"},
            "name": t("latent.gap_elbo", value=num(bottom, 2)),
        },
        {
            "type": "scatter",
            "x": np.repeat(ks, SWEEP_REPEATS),
            "y": sweep.ravel(),
            "mode": "markers",
            "marker": {"size": 7, "color": rgba(P_BLUE, 0.45)},
            "name": t("latent.gap_repeats", r=SWEEP_REPEATS),
            "hovertemplate": "k = %{x}<br>%{y:.2f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": ks,
            "y": sweep.mean(axis=1),
            "mode": "lines+markers",
            "name": t("latent.gap_mean"),
            "line": {"color": P_BLUE, "width": 1.5, "dash": "dot"},
            "marker": {"size": 5},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [k],
            "y": [imp.log_px],
            "mode": "markers",
            "name": t("latent.gap_chosen", k=k),
            "error_y": {"type": "constant", "value": imp.se, "color": "black", "thickness": 2, "width": 6},
            "marker": {"symbol": "diamond", "size": 12, "color": "black"},
            "hovertemplate": "k = %{x}<br>%{y:.2f}<extra></extra>",
        },
    ]
    layout = {
        "xaxis": {
            "type": "log",
            "range": [np.log10(0.7), np.log10(7000)],
            "title": {"text": "k"},
            "tickvals": list(SWEEP_KS),
            "ticktext": [count(k) for k in SWEEP_KS],
        },
        "yaxis": {"range": [lo - 0.08 * span, hi + 0.08 * span], "title": {"text": t("latent.nats")}},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    }
    return figure(data, 460, {"l": 55, "t": 30, "b": 120}, legend_top=False, **layout)
