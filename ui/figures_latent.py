"""Figures of the latent explorer (views/latent_explorer.py): the Vega-Lite latent map's static
layers and the plotly zoom on one digit's posterior and its gap. Pure builders: data in, spec out;
the page caches them and decides what to redraw."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, P_BLUE, POSTERIOR_GREEN, PRIOR_GREY, Q_ORANGE, num
from ui.i18n import t
from ui.plots import PRESENT_TEXT_PX, TEXT_PX, rgba
from ui.state import presenting
from vae_core import latent
from vae_core.data import N_CLASSES

Z_LIM = 4.0  # the map's and the sliders' range of z₁, z₂
MAP_SIZE = 470  # pixels of the plotting area; square, so circles look round
FRAMES = 10  # interpolation frames, both ends included
SWEEP_KS, SWEEP_REPEATS = (1, 10, 100, 1000, 5000), 5
DOTS = 300  # draws from q shown on the zoomed posterior
CURRENT = "#f5c400"  # the current z: a yellow star on the map, a yellow frame on the manifold
STAR = "M0,-1L0.22,-0.31L0.95,-0.31L0.36,0.12L0.59,0.81L0,0.38L-0.59,0.81L-0.36,0.12L-0.95,-0.31L-0.22,-0.31Z"
DIGIT_COLOURS = ("#3366cc", "#dc3912", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e",
                 "#316395", "#aaaa11")


def figure(data: list[dict], layout: dict, height: int) -> go.Figure:
    """A plotly figure from plain dicts, without plotly's per-property validation (it costs more
    than the rest of the ledger's redraw; tests/test_page_latent.py validates every figure once)."""
    size = {"size": PRESENT_TEXT_PX if presenting() else TEXT_PX}  # Streamlit's theme would draw 12 px ticks
    base = {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "transition": {"duration": 0},
            "font": size, "hovermode": "closest", "legend": {"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0}}
    layout = {**base, **layout}
    for name in ("xaxis", "yaxis"):
        axis = layout.get(name, {})
        layout[name] = {**axis, "tickfont": size, "title": {**axis.get("title", {}), "font": size}}
    layout["legend"] = {**layout["legend"], "font": size}
    return go.Figure(data=data, layout=layout, _validate=False)


def curve(points: np.ndarray, **trace) -> dict:
    return {"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "lines", **trace}


def rings(mu, sd) -> np.ndarray:
    """The 1σ and 2σ ellipses of N(μ, diag σ²) as one polyline, separated by a NaN row."""
    gap = np.full((1, 2), np.nan)
    return np.concatenate([latent.ellipse(mu, sd, latent.PRIOR_RADII[0]), gap,
                           latent.ellipse(mu, sd, latent.PRIOR_RADII[1])])


def records(**columns) -> list[dict]:
    """Vega-Lite inline data: equal-length columns → one dict per row (NaN/None rows dropped)."""
    names = list(columns)
    out = []
    for values in zip(*columns.values(), strict=True):
        if all(v is not None and (not isinstance(v, float) or np.isfinite(v)) for v in values):
            out.append({n: round(v, 4) if isinstance(v, float) else v for n, v in zip(names, values, strict=True)})
    return out


def ring_rows(mu, sd) -> list[dict]:
    """The 1σ and 2σ ellipses of N(μ, diag σ²) as Vega-Lite rows (ring, order, z1, z2)."""
    out = []
    for ring, radius in enumerate(latent.PRIOR_RADII):
        points = latent.ellipse(mu, sd, radius, points=91)
        out += records(ring=[ring] * len(points), o=list(range(len(points))), z1=points[:, 0].tolist(),
                       z2=points[:, 1].tolist())
    return out


def map_spec(base: dict) -> dict:
    """The latent map as a Vega-Lite spec: the cached static layers, plus a star for z that reads
    the chart's default dataset (one row, z1 and z2).

    Vega-Lite rather than plotly, and z as data rather than spec: the map follows every z move.
    With the spec unchanged between moves Streamlit swaps the one-row dataset inside the live
    Vega view instead of rebuilding the chart (a plotly redraw of this map took 120-400 ms in
    Chromium, measured with benchmarks/)."""
    star = {"encoding": {"x": base["x"], "y": base["y"]},
            "mark": {"type": "point", "shape": STAR, "size": 520, "filled": True, "fill": CURRENT, "stroke": "black",
                     "strokeWidth": 1.5, "opacity": 1}}
    return {**base["spec"], "layer": [*base["spec"]["layer"], star]}


def map_layers(mu, labels, start: int, end: int, idx: int, sd_idx, box) -> dict:
    """The static layers of the latent map: holdout encoder means by digit, the prior's rings, the
    interpolation path, digit idx's q(z|x) rings and zoom window; and the axis encodings."""
    axis = {"scale": {"domain": [-Z_LIM - 0.2, Z_LIM + 0.2], "nice": False, "zero": False},
            "type": "quantitative"}
    x = {"field": "z1", **axis, "title": "z₁", "axis": {"tickCount": 9}}
    y = {"field": "z2", **axis, "title": "z₂", "axis": {"tickCount": 9}}
    line = {"x": x, "y": y, "order": {"field": "o"}, "detail": {"field": "ring"}}
    path = latent.interpolation_path(mu[start], mu[end], FRAMES)
    path_rows = records(z1=path[:, 0].tolist(), z2=path[:, 1].tolist(), o=list(range(FRAMES)), ring=[0] * FRAMES)
    (cx, cy), half = box
    centres = records(z1=[float(np.median(mu[labels == d, 0])) for d in range(N_CLASSES)],
                      z2=[float(np.median(mu[labels == d, 1])) for d in range(N_CLASSES)], digit=list(range(N_CLASSES)))
    digit_colour = {"field": "digit", "type": "nominal", "scale": {"domain": list(range(N_CLASSES)),
                                                                   "range": list(DIGIT_COLOURS)}}
    layers = [
        {"data": {"values": ring_rows((0, 0), (1, 1))}, "encoding": line,
         "mark": {"type": "line", "color": PRIOR_GREY, "strokeDash": [6, 4], "strokeWidth": 1.5}},
        {"data": {"values": [{"x0": cx - half, "x1": cx + half, "y0": cy - half, "y1": cy + half}]},
         "mark": {"type": "rect", "fill": None, "stroke": POSTERIOR_GREEN, "strokeDash": [2, 3], "strokeWidth": 1.5},
         "encoding": {"x": {**x, "field": "x0"}, "x2": {"field": "x1"}, "y": {**y, "field": "y0"},
                      "y2": {"field": "y1"}}},
        {"data": {"values": records(z1=mu[:, 0].tolist(), z2=mu[:, 1].tolist(), idx=list(range(len(mu))),
                                    digit=labels.tolist())},
         "mark": {"type": "circle", "size": 42, "opacity": 0.85, "cursor": "pointer"},
         "params": [{"name": "pick", "select": {"type": "point", "on": "click", "fields": ["idx", "z1", "z2"],
                                                "clear": "dblclick"}},
                    {"name": "box", "select": {"type": "interval", "encodings": ["x", "y"], "clear": "dblclick"}}],
         "encoding": {"x": x, "y": y,
                      "color": {**digit_colour, "legend": {"title": t("latent.map_means"), "orient": "bottom",
                                                           "direction": "horizontal", "columns": 10}},
                      "tooltip": [{"field": "idx", "title": "#"}, {"field": "digit", "title": t("latent.map_digit")},
                                  {"field": "z1", "title": "μ₁", "format": ".2f"},
                                  {"field": "z2", "title": "μ₂", "format": ".2f"}]}},
        {"data": {"values": path_rows}, "mark": {"type": "line", "color": "white", "strokeWidth": 6, "opacity": 0.8},
         "encoding": line},
        {"data": {"values": path_rows}, "encoding": line,
         "mark": {"type": "line", "color": "#222", "strokeDash": [4, 2], "strokeWidth": 2.5,
                  "point": {"color": "#222", "size": 30}}},
        {"data": {"values": ring_rows(mu[idx], sd_idx)}, "encoding": line,
         "mark": {"type": "line", "color": Q_ORANGE, "strokeWidth": 2}},
        {"data": {"values": centres}, "encoding": {"x": x, "y": y, "text": {"field": "digit"}},
         "mark": {"type": "text", "fontSize": 20, "fontWeight": "bold", "stroke": "white", "strokeWidth": 4,
                  "strokeOpacity": 0.85}},
        {"data": {"values": centres}, "encoding": {"x": x, "y": y, "text": {"field": "digit"}, "color": digit_colour},
         "mark": {"type": "text", "fontSize": 20, "fontWeight": "bold"}},
    ]
    # every static layer carries its data inline: Streamlit treats a lone named dataset as the
    # chart's default data, which the star (below) needs for itself
    spec = {"width": MAP_SIZE, "height": MAP_SIZE, "autosize": {"type": "pad"}, "layer": layers,
            "config": {"legend": {"labelFontSize": 13, "titleLimit": 0}}}
    return {"spec": spec, "x": x, "y": y}


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
        {"type": "heatmap", "x": post.z1[cols], "y": post.z2[rows], "z": density, "showscale": False,
         "colorscale": [[0, "rgba(255,255,255,0)"], [1, rgba(POSTERIOR_GREEN, 0.55)]], "hoverinfo": "skip"},
        {"type": "contour", "x": post.z1[cols], "y": post.z2[rows], "z": log_density, "showscale": False,
         "colorscale": [[0, POSTERIOR_GREEN], [1, POSTERIOR_GREEN]],
         "contours": {"coloring": "lines", "start": outer, "end": inner, "size": max(inner - outer, 1e-6)},
         "line": {"color": POSTERIOR_GREEN, "width": 2.5}, "name": t("latent.post_contours"), "showlegend": True,
         "hoverinfo": "skip"},
        {"type": "scatter", "x": draws[:, 0], "y": draws[:, 1], "mode": "markers", "hoverinfo": "skip",
         "name": t("latent.post_draws", shown=len(draws)),
         "marker": {"size": 4, "color": "rgba(120,60,0,0.45)"}},  # brown: q's draws, darker than q's rings
        curve(rings(post.mu_q, post.sd_q), name=t("latent.post_q"), hoverinfo="skip",
              line={"color": Q_ORANGE, "width": 2.5}),
        {"type": "scatter", "x": [post.mu_q[0], post.post_mean[0]], "y": [post.mu_q[1], post.post_mean[1]],
         "mode": "markers", "hoverinfo": "skip", "showlegend": False,
         "marker": {"symbol": ["x", "cross"], "size": 11, "color": [Q_ORANGE, POSTERIOR_GREEN],
                    "line": {"color": "white", "width": 1}}},
    ]
    layout = {"xaxis": {"range": [cx - half, cx + half], "title": {"text": "z₁"}, "zeroline": False,
                        "constrain": "domain"},
              "yaxis": {"range": [cy - half, cy + half], "title": {"text": "z₂"}, "scaleanchor": "x",
                        "scaleratio": 1, "zeroline": False, "constrain": "domain"},
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0}}
    return figure(data, layout, height=500)


def gap_figure(post, sweep, imp, k: int) -> go.Figure:
    """log p(x) (exact), the ELBO (exact by quadrature), the gap between them, and importance-
    sampled estimates for each k (5 seeded repeats and their mean), the chosen k with ± 1 s.e."""
    ks = np.array(SWEEP_KS, dtype=float)
    top, bottom = post.log_px, post.elbo_quad
    lo = min(bottom, float(sweep.min()), imp.log_px - imp.se)
    hi = max(top, float(sweep.max()), imp.log_px + imp.se)
    span = max(hi - lo, 1.0)
    data = [
        {"type": "scatter", "x": [0.7, 7000, 7000, 0.7], "y": [bottom, bottom, top, top], "fill": "toself",
         "mode": "none", "fillcolor": rgba(GAP_RED, 0.12), "name": t("latent.gap_band"), "hoverinfo": "skip"},
        {"type": "scatter", "x": [0.7, 7000], "y": [top, top], "mode": "lines", "line": {"color": P_BLUE, "width": 3},
         "name": t("latent.gap_logpx", value=num(top, 2))},
        {"type": "scatter", "x": [0.7, 7000], "y": [bottom, bottom], "mode": "lines",
         "line": {"color": Q_ORANGE, "width": 3, "dash": "dash"}, "name": t("latent.gap_elbo", value=num(bottom, 2))},
        {"type": "scatter", "x": np.repeat(ks, SWEEP_REPEATS), "y": sweep.ravel(), "mode": "markers",
         "marker": {"size": 7, "color": rgba(P_BLUE, 0.45)}, "name": t("latent.gap_repeats", r=SWEEP_REPEATS),
         "hovertemplate": "k = %{x:,}<br>%{y:.2f}<extra></extra>"},
        {"type": "scatter", "x": ks, "y": sweep.mean(axis=1), "mode": "lines+markers", "name": t("latent.gap_mean"),
         "line": {"color": P_BLUE, "width": 1.5, "dash": "dot"}, "marker": {"size": 5}, "hoverinfo": "skip"},
        {"type": "scatter", "x": [k], "y": [imp.log_px], "mode": "markers", "name": t("latent.gap_chosen", k=k),
         "error_y": {"type": "constant", "value": imp.se, "color": "black", "thickness": 2, "width": 6},
         "marker": {"symbol": "diamond", "size": 12, "color": "black"},
         "hovertemplate": "k = %{x:,}<br>%{y:.2f}<extra></extra>"},
    ]
    layout = {"xaxis": {"type": "log", "dtick": 1, "range": [np.log10(0.7), np.log10(7000)], "title": {"text": "k"},
                        "tickvals": list(SWEEP_KS), "ticktext": [f"{k:,}" for k in SWEEP_KS]},
              "yaxis": {"range": [lo - 0.08 * span, hi + 0.08 * span], "title": {"text": t("latent.nats")}},
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0}}
    return figure(data, layout, height=460)
