"""Figures of the ELBO page (views/elbo.py): numbers in, a plotly figure with its labels in
the current language (``t()``) out. No widgets.

Speed (docs/benchmarks.md, ui/plots.py): every figure whose spec changes is redrawn from scratch
in the browser, so each is built in one pass from plain dicts with the fast template, with as
few traces, axes and points as the picture needs. What a slider does not change (the colour scale
and legend of the optimizer's landscape) is a figure of its own that stays byte-identical.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, P_BLUE, POSTERIOR_GREEN, PRIOR_GREY, Q_ORANGE, num, tex
from ui.i18n import t
from ui.plots import KEY_LEGEND, LEGEND_ONLY, figure, key_bar, key_title, power_ticks
from vae_core.toy_model import AscentPath, log_evidence, log_joint, posterior, posterior_kl

RECON_PINK = "#e377c2"  # E_q[log p(x|z)], the reconstruction term (the live ledger, ui/live/elbo.py)
GAP_LOG_RANGE = (-3, 4)  # the landscape's colours: log10 KL from 0.001 to 10,000 nats
TITLE = {
    "xref": "paper",
    "yref": "paper",
    "x": 0.5,
    "xanchor": "center",
    "yanchor": "bottom",
    "showarrow": False,
    "font": {"size": 14, "color": "#777"},
}
DOTTED = {"color": PRIOR_GREY, "dash": "dot"}


def vline(x, yref="y domain", xref="x", **line):
    """A vertical line across an axis' whole height, as a layout shape (no trace, no legend)."""
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "xref": xref,
        "yref": yref,
        "line": {"width": 1, **line},
    }


def nice_bound(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ that is ≥ |value|: axis ends that do not twitch with every slider step."""
    if value <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(k * power for k in (1, 2, 5, 10) if k * power >= value * (1 - 1e-12))


def ledger_range(*values: float) -> list[float]:
    """A nats axis from ≤ min(0, values) to ≥ max(0, values), with nice ends and a little padding."""
    lo, hi = -nice_bound(-min(0.0, *values)), nice_bound(max(0.0, *values))
    pad = 0.04 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


# --- part 2: the ledger and the densities ---------------------------------------------------------


def _ledger_traces(
    row: str, lp: float, lower: float, x_range: list[float], axes: dict
) -> tuple[list[dict], list[dict]]:
    """Eq. 1.4.10 as points on one nats axis, the gap as a bar. The ELBO and log p(x) are usually
    negative, so they are positions, never bars from 0; the only bar is the KL, which is ≥ 0 and runs
    from the ELBO to the right. (Part 2's live ledger, static/live/ledger.js, draws the same picture
    with eq. 1.4.12's row below.)

    Returns the traces and the points' labels, as annotations pinned a fixed number of pixels above or
    below the row (a trace's own text would sit on the bar's edge)."""
    middle = 0.5 * (x_range[0] + x_range[1])
    refs = {"xref": axes.get("xaxis", "x"), "yref": axes.get("yaxis", "y")}

    def gap_bar(start, width, colour, text):
        return {
            "type": "bar",
            "y": [row],
            "x": [width],
            "base": [start],
            "orientation": "h",
            "width": 0.26,
            "text": [text],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "marker": {"color": colour},
            "hovertemplate": f"{text}<extra></extra>",
            **axes,
        }

    labels = []

    def point(value, colour, symbol, label, above):
        text = f"{label} = {num(value)}"
        labels.append(
            {
                "x": value,
                "y": row,
                **refs,
                "text": text,
                "showarrow": False,
                "xanchor": "right" if value > middle else "left",  # grow towards the middle
                "yanchor": "bottom" if above else "top",
                "yshift": 13 if above else -13,
                "font": {"color": colour, "size": 14},
            }
        )
        return {
            "type": "scatter",
            "y": [row],
            "x": [value],
            "mode": "markers",
            "marker": {"color": colour, "symbol": symbol, "size": 14, "line": {"color": "white", "width": 1.5}},
            "hovertemplate": f"{text}<extra></extra>",
            **axes,
        }

    data = [
        gap_bar(lower, lp - lower, GAP_RED, f"KL(q‖p(z|x)) = {num(lp - lower)}"),
        point(lower, Q_ORANGE, "diamond", "ELBO", above=False),
        point(lp, P_BLUE, "circle", "log p(x)", above=True),
    ]
    return data, labels


def z_grid(*peaks: tuple[float, float]) -> tuple[np.ndarray, tuple[float, float]]:
    """A z grid covering every (mean, sd) given (±4 sd), dense near each so narrow peaks stay smooth."""
    lo = min(m - 4 * s for m, s in peaks)
    hi = max(m + 4 * s for m, s in peaks)
    near = [np.linspace(m - 4 * s, m + 4 * s, 60) for m, s in peaks]
    return np.unique(np.concatenate([np.linspace(lo, hi, 150), *near])), (lo, hi)


def joint_figure(x: float, w: float, noise: float) -> go.Figure:
    """The joint log p(x, z) over (z, x) with the observed x as a dashed line; the slice along that
    line, the prior, the posterior and q over z are the live ledger's lower panel (static/live/ledger.js).
    Depends on the model only, so moving q leaves it byte-identical (not redrawn)."""
    title_joint, observed = t("elbo.fig_joint"), t("elbo.observed_x", x=tex(x))
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    _, (lo, hi) = z_grid((0.0, 1.0), (post_mean, post_sd))
    z_heat = np.linspace(lo, hi, 140)
    x_half = max(4.5, abs(x) + 0.5)
    x_heat = np.linspace(-x_half, x_half, 90)
    log_p = log_joint(z_heat[None, :], x_heat[:, None], w, noise)  # (x rows, z columns)
    data = [
        {
            "type": "heatmap",
            "x0": lo,
            "dx": z_heat[1] - z_heat[0],
            "y0": -x_half,
            "dy": x_heat[1] - x_heat[0],
            "z": np.maximum(log_p, log_p.max() - 12).astype(np.float32),
            "colorscale": "Blues",
            "showscale": False,
            "hovertemplate": "z=%{x:.2f}<br>x=%{y:.2f}<br>log p(x,z)=%{z:.2f}<extra></extra>",
        },
    ]
    return figure(
        data,
        300,
        {"l": 45, "t": 30, "b": 45},
        xaxis={"range": [lo, hi], "title": {"text": "z"}},
        yaxis={"title": {"text": "x"}},
        shapes=[
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": x,
                "y1": x,
                "line": {"color": Q_ORANGE, "dash": "dash", "width": 2},
            }
        ],
        annotations=[
            {**TITLE, "y": 1.0, "text": title_joint},
            {
                "x": 1,
                "y": x,
                "xref": "x domain",
                "yref": "y",
                "text": observed,
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"color": Q_ORANGE},
                "bgcolor": "rgba(255,255,255,0.8)",
            },
        ],
        legend_top=False,
    )


# --- part 3: gradient ascent on the ELBO ----------------------------------------------------------

PATH_LINE = {"color": "white", "width": 1.5}
PATH_MARKER = {"size": 5, "color": "white", "line": {"color": "#333", "width": 0.5}}
OPTIMUM_MARKER = {"symbol": "star", "size": 17, "color": POSTERIOR_GREEN, "line": {"color": "white", "width": 1.5}}
START_MARKER = {"symbol": "x", "size": 12, "color": Q_ORANGE, "line": {"color": "black", "width": 1}}
STEP_MARKER = {"symbol": "circle", "size": 13, "color": Q_ORANGE, "line": {"color": "black", "width": 1.5}}
KEY_HEIGHT, KEY_LEGEND_B = 210, 122  # the key: a 14 px bar title, the bar, its ticks, a 4-row legend
LAND_X, SIDE_X = (0.0, 0.5), (0.62, 1.0)  # the landscape's width, and that of the two panels beside it


def optimize_figure(x: float, w: float, noise: float, path: AscentPath, k: int, x_range: list[float]) -> go.Figure:
    """Part 3 in one figure (a step move redraws one chart, not three):

    left, log10 KL(q‖p(z|x)) = log10(log p(x) − ELBO) over (μ_q, σ_q) with the path, its start, step k
    and the optimum; right, the ledger of eq. 1.4.10 at step k (on part 2's nats axis ``x_range``) over
    KL(qₖ‖p(z|x)) against k. The landscape's colour scale and legend are :func:`optimize_key_figure`.
    """
    row_ledger, nats_axis, sigma_axis = t("elbo.bar_ledger"), t("elbo.nats_axis"), t("elbo.sigma_log_axis")
    step_axis, at_step = t("elbo.step_axis"), t("elbo.at_step", k=k)
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    lp = float(log_evidence(x, w, noise))
    m_lo = min(-4.0, post_mean, path.m.min()) - 0.5
    m_hi = max(4.0, post_mean, path.m.max()) + 0.5
    s_lo = min(0.1, post_sd, path.s.min()) / 1.5
    s_hi = max(3.0, path.s.max()) * 1.5
    # The y axis is log10 σ_q on a *linear* axis with σ-valued tick labels: a uniform grid lets
    # plotly draw the heatmap as one image (on a log axis it draws every cell, ~10× slower).
    m_grid = np.linspace(m_lo, m_hi, 81)
    y_grid = np.linspace(math.log10(s_lo), math.log10(s_hi), 71)
    gap = posterior_kl(x, w, noise, m_grid[None, :], 10.0 ** y_grid[:, None])  # (σ rows, μ columns)
    ticks = [c * 10.0**e for e in range(math.floor(y_grid[0]), math.ceil(y_grid[-1]) + 1) for c in (1, 2, 5)]
    ticks = [v for v in ticks if s_lo <= v <= s_hi]
    if len(ticks) > 10:  # a path that plunged to a tiny σ_q: label decades only
        ticks = [v for v in ticks if math.log10(v).is_integer()]

    def marker(mx, my, style, **extra):
        return {"type": "scatter", "x": [mx], "y": [math.log10(my)], "mode": "markers", "marker": style, **extra}

    kl = np.maximum(path.kl, 1e-10)  # the log axis needs KL > 0; below 1e-10 is rounding
    side_ledger, progress = {"xaxis": "x2", "yaxis": "y2"}, {"xaxis": "x3", "yaxis": "y3"}
    ledger, labels = _ledger_traces(row_ledger, lp, float(path.elbo[k]), x_range, side_ledger)
    data = [
        {
            "type": "heatmap",
            "x0": m_grid[0],
            "dx": m_grid[1] - m_grid[0],
            "y0": y_grid[0],
            "dy": y_grid[1] - y_grid[0],
            "z": np.log10(np.maximum(gap, 1e-3)).astype(np.float32),
            "customdata": (lp - gap).astype(np.float32),
            "colorscale": "Viridis",
            "reversescale": True,
            "zmin": GAP_LOG_RANGE[0],
            "zmax": GAP_LOG_RANGE[1],
            "showscale": False,
            "hovertemplate": "μ<sub>q</sub>=%{x:.2f}<br>log₁₀σ<sub>q</sub>=%{y:.2f}"
            "<br>ELBO=%{customdata:.4f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": path.m,
            "y": np.log10(path.s),
            "customdata": path.s,
            "mode": "lines+markers",
            "line": PATH_LINE,
            "marker": PATH_MARKER,
            "hovertemplate": "μ<sub>q</sub>=%{x:.3f}<br>σ<sub>q</sub>=%{customdata:.3f}<extra></extra>",
        },
        marker(post_mean, post_sd, OPTIMUM_MARKER, hoverinfo="skip"),
        marker(path.m[0], path.s[0], START_MARKER, hoverinfo="skip"),
        marker(path.m[k], path.s[k], STEP_MARKER, hovertemplate=f"{at_step}<extra></extra>"),
        *ledger,
        {
            "type": "scatter",
            "x": np.arange(kl.size),
            "y": kl,
            "mode": "lines",
            "line": {"color": GAP_RED, "width": 2},
            "hovertemplate": "k=%{x}<br>KL=%{y:.3g}<extra></extra>",
            **progress,
        },
        {
            "type": "scatter",
            "x": [k],
            "y": [kl[k]],
            "mode": "markers",
            "hoverinfo": "skip",
            "marker": {"color": Q_ORANGE, "size": 11, "line": {"color": "black", "width": 1}},
            **progress,
        },
    ]
    return figure(
        data,
        470,
        {"l": 55, "r": 10, "t": 10, "b": 45},
        showlegend=False,
        barmode="overlay",
        annotations=labels,
        uniformtext={"minsize": 14, "mode": "hide"},
        xaxis={"domain": list(LAND_X), "title": {"text": "μ<sub>q</sub>"}, "range": [m_lo, m_hi]},
        yaxis={
            "title": {"text": sigma_axis},
            "range": [y_grid[0], y_grid[-1]],
            "tickvals": np.log10(ticks),
            "ticktext": [f"{v:g}" for v in ticks],
        },
        xaxis2={"anchor": "y2", "domain": list(SIDE_X), "range": x_range, "title": {"text": nats_axis}},
        yaxis2={"anchor": "x2", "domain": [0.74, 1.0], "range": [-0.75, 0.75], "showticklabels": False},
        xaxis3={"anchor": "y3", "domain": list(SIDE_X), "range": [0, path.kl.size - 1], "title": {"text": step_axis}},
        yaxis3={
            "anchor": "x3",
            "domain": [0.0, 0.5],
            "type": "log",
            "title": {"text": "KL(qₖ‖p(z|x))"},
            **power_ticks(math.floor(math.log10(kl.min())), math.ceil(math.log10(max(kl.max(), 1e-9))), 5),
        },
        shapes=[
            vline(lp, xref="x2", yref="y2 domain", color=P_BLUE, dash="dash", width=1.5),
            vline(0, xref="x2", yref="y2 domain", color="black"),
            {
                "type": "line",
                "xref": "x3 domain",
                "x0": 0,
                "x1": 1,
                "yref": "y3",
                "y0": 1e-3,
                "y1": 1e-3,
                "line": {**DOTTED, "width": 1},
            },
        ],
        legend_top=False,
    )


def optimize_key_figure() -> go.Figure:
    """The landscape's key: its colour scale (log10 KL, reversed Viridis, real values on the ticks) and
    legend. It depends on no slider, so it is not redrawn when one moves."""
    title, path, optimum = t("elbo.land_colour"), t("elbo.path"), t("elbo.optimum")
    start, step = t("elbo.start"), t("elbo.step_axis")
    bar, xaxis, yaxis = key_bar(*GAP_LOG_RANGE, "Viridis", reversescale=True)
    legend_only = LEGEND_ONLY
    return figure(
        [
            bar,
            {
                **legend_only,
                "name": path,
                "mode": "lines+markers",
                "line": {"color": "#333", "width": 1.5},
                "marker": PATH_MARKER,
            },
            {**legend_only, "name": optimum, "mode": "markers", "marker": OPTIMUM_MARKER},
            {**legend_only, "name": start, "mode": "markers", "marker": START_MARKER},
            {**legend_only, "name": step, "mode": "markers", "marker": STEP_MARKER},
        ],
        KEY_HEIGHT,
        {"l": 55, "r": 28, "t": 24, "b": KEY_LEGEND_B},
        title=key_title(title),
        # One entry a row, pinned to the figure's bottom edge in a margin that holds four rows at any
        # width and language (a wrapping legend under a short bar ran over its tick labels and out of
        # the figure on a projector).
        legend=KEY_LEGEND,
        xaxis=xaxis,
        yaxis=yaxis,
        legend_top=False,
    )


# --- part 4: the Jensen view in samples -----------------------------------------------------------


def weights_figure(
    counts: np.ndarray, edges: np.ndarray, elbo_hat: float, log_evidence_hat: float, lp: float, lower: float
) -> go.Figure:
    """Histogram of log w; exact ELBO and log p(x) (solid) and their estimates (dotted); the gap in red."""
    hist_name, logw_axis, count_axis = t("elbo.hist_name"), t("elbo.logw_axis"), t("elbo.count_axis")
    top = float(counts.max()) * 1.08
    data = [
        {
            "type": "bar",
            "x": 0.5 * (edges[1:] + edges[:-1]),
            "y": counts,
            "width": np.diff(edges),
            "marker": {"color": "rgba(127,127,127,0.55)", "line": {"color": "white", "width": 0.5}},
            "name": hist_name,
            "hovertemplate": "log w≈%{x:.3f}: %{y}<extra></extra>",
        }
    ]
    for value, colour, dash, width, label in (
        (lp, P_BLUE, "solid", 4, "log p(x)"),
        (lower, Q_ORANGE, "solid", 4, "ELBO"),
        (log_evidence_hat, "#0b3c66", "dot", 2, "log (1/L) Σ wᵢ"),
        (elbo_hat, "#a14b00", "dot", 2, "(1/L) Σ log wᵢ"),
    ):
        data.append(
            {
                "type": "scatter",
                "x": [value, value],
                "y": [0, top],
                "mode": "lines",
                "name": label,
                "line": {"color": colour, "dash": dash, "width": width},
                "hoverinfo": "skip",
            }
        )
    return figure(
        data,
        330,
        {"l": 55, "t": 10, "b": 85},
        bargap=0,
        legend={"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"},
        shapes=[
            {
                "type": "rect",
                "x0": lower,
                "x1": lp,
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "fillcolor": GAP_RED,
                "opacity": 0.15,
                "line": {"width": 0},
            }
        ],
        xaxis={"title": {"text": logw_axis}},
        yaxis={"title": {"text": count_axis}},
        legend_top=False,
    )
