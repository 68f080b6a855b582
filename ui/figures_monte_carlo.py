"""Figures of the Monte Carlo page (views/monte_carlo.py): plain functions, numbers in, figures out
(the running estimates are the live view, ui/live/mc.py, which shares the colours and y-range here).

What a slider move costs is mostly the browser drawing every chart whose spec changed (see
ui/plots.py), so each figure here is lean: many runs share one NaN-gapped line trace, bands are
one filled polygon, the histogram is one filled step line rather than hundreds of bars, and the
long arrays travel as float32 (half the bytes; the lines are drawn to a pixel, far coarser).
Figures are built with :func:`ui.plots.figure` (no per-property validation; tests/test_figures.py
validates every page's figures instead).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, P_BLUE, Q_ORANGE, num
from ui.i18n import t
from ui.plots import figure
from vae_core.monte_carlo import Convergence, Iwae, histogram, lattice_step

RUNS_GREY, EXACT_BLACK, RUN1_DARK = "rgba(120,130,150,0.45)", "#222222", "#3b4a6b"
HIST_FILL, HIST_LINE = "rgba(59,74,107,0.55)", "rgba(59,74,107,0.8)"
LEGEND_ROW_PX = 21  # one row of a 14 px legend
CURVE_POINTS = 200  # a smooth curve (the CLT normal) needs ~200 points, not 1,000


# Margins wide enough for the tick labels and axis titles (plus room on the right for the last
# log-axis label, "10k", which plotly hides past the div): the template has no automargin.
MARGIN = {"l": 76, "r": 30, "b": 60}


def gapped(n: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many runs as one line trace broken by NaN gaps: one SVG path instead of one trace per run.

    rows: (runs, K) values at the checkpoints n (K,); returns float32 x and y of length runs·(K + 1).
    Scattergl measured ~4× slower in headless Chromium without a GPU, so the page draws no WebGL.
    """
    k = rows.shape[0]
    x = np.tile(np.append(n.astype(np.float32), np.float32(np.nan)), k)
    y = np.hstack([rows, np.full((k, 1), np.nan)]).astype(np.float32).ravel()
    return x, y


def y_range(rows: np.ndarray, n: np.ndarray, centre: float, spread: float) -> list[float]:
    """Axis range covering the runs from n ≥ 10 on (the first few samples may be wild) and the funnel."""
    keep = n >= min(10, n[-1])
    lo = min(float(rows[:, keep].min()), centre - 2 * spread / np.sqrt(n[keep][0]))
    hi = max(float(rows[:, keep].max()), centre + 2 * spread / np.sqrt(n[keep][0]))
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return [lo - pad, hi + pad]


def hline(n: np.ndarray, y: float, name: str, colour: str, width: float = 1.5) -> dict:
    """A horizontal reference line as a trace, so it is named in the legend rather than over the data."""
    return {
        "type": "scatter",
        "x": [float(n[0]), float(n[-1])],
        "y": [y, y],
        "mode": "lines",
        "line": {"color": colour, "width": width},
        "name": name,
        "hovertemplate": f"{name}<extra></extra>",
    }


def log_n_axis() -> dict:
    return {"type": "log", "title": {"text": t("monte_carlo.axis_n")}}


def error_figure(conv: Convergence, slope: float) -> go.Figure:
    """|Q_n − exact| of every run and their root mean square on log–log axes, next to σ/√n."""
    n = conv.n.astype(float)
    err = np.abs(conv.mean - conv.exact)
    rms = np.sqrt(np.mean(err**2, axis=0))
    gx, gy = gapped(conv.n, np.where(err > 0, err, np.nan))
    data = [
        {
            "type": "scatter",
            "x": gx,
            "y": gy,
            "mode": "lines",
            "line": {"color": RUNS_GREY, "width": 1},
            "name": t("monte_carlo.err_runs"),
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": n,
            "y": np.where(rms > 0, rms, np.nan),
            "mode": "lines",
            "line": {"color": GAP_RED, "width": 3},
            "name": t("monte_carlo.rms", slope=f"{slope:.2f}".replace("-", "−")),
        },
        {
            "type": "scatter",
            "x": n,
            "y": conv.sd / np.sqrt(n),
            "mode": "lines",
            "line": {"color": EXACT_BLACK, "width": 2, "dash": "dash"},
            "name": t("monte_carlo.reference"),
        },
    ]
    return figure(
        data,
        400,
        MARGIN,
        hovermode="closest",
        xaxis=log_n_axis(),
        yaxis={"type": "log", "title": {"text": t("monte_carlo.axis_err")}, "exponentformat": "power"},
    )


def histogram_figure(values: np.ndarray, target: str, L: int, exact: float, sd: float, repeats: int) -> go.Figure:
    """Histogram of repeated Q_L (one filled step line) under the CLT's normal N(exact, σ²/L)."""
    step = lattice_step(target)
    edges, density = histogram(values, lattice=step / L if step else None)
    clt_sd = sd / np.sqrt(L)
    q_lo, q_hi = np.quantile(values, [0.002, 0.998])  # the view: the bulk and the CLT curve, not a far outlier
    view = [min(float(q_lo), exact - 4 * clt_sd), max(float(q_hi), exact + 4 * clt_sd)]
    pad = 0.04 * (view[1] - view[0])
    view = [view[0] - pad, view[1] + pad]
    grid = np.linspace(view[0], view[1], CURVE_POINTS)
    normal = np.exp(-0.5 * ((grid - exact) / clt_sd) ** 2) / (clt_sd * np.sqrt(2 * np.pi))
    # the bars' outline: up at each left edge, across, down at the last right edge
    x = np.concatenate([edges[:1], edges])
    y = np.concatenate([[0.0], density, [0.0]])
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "mode": "lines",
            "line": {"shape": "hv", "color": HIST_LINE, "width": 1},
            "fill": "tozeroy",
            "fillcolor": HIST_FILL,
            "name": t("monte_carlo.hist_bars", repeats=f"{repeats:,}"),
            "hovertemplate": "%{x:.4g}: %{y:.3g}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": grid,
            "y": normal,
            "mode": "lines",
            "line": {"color": GAP_RED, "width": 2.5},
            "name": t("monte_carlo.clt"),
            "hoverinfo": "skip",
        },
    ]
    exact_line = {
        "type": "line",
        "xref": "x",
        "yref": "y domain",
        "x0": exact,
        "x1": exact,
        "y0": 0,
        "y1": 1,
        "line": {"color": EXACT_BLACK, "width": 1.5},
    }
    return figure(
        data,
        400,
        MARGIN,
        hovermode="closest",
        shapes=[exact_line],
        xaxis={"title": {"text": t("monte_carlo.axis_q")}, "range": view},
        yaxis={"title": {"text": t("monte_carlo.axis_density")}, "rangemode": "tozero"},
    )


def asymptote_from(chi2: float) -> float:
    """The delta method's bias χ²/(2L) holds once the average weight is concentrated: L ≥ 10 χ²."""
    return max(1.0, 10.0 * chi2) if np.isfinite(chi2) else np.inf


def iwae_figure(it: Iwae, chi2: float) -> go.Figure:
    """IWAE (log of the mean weight) and the mean log weight against n, between ELBO and log p(x)."""
    n, gap = it.n.astype(float), it.log_px - it.elbo
    data = []
    for rows, colour, key in ((it.avg_log, "rgba(255,127,14,0.35)", "avg"), (it.iwae, "rgba(31,119,180,0.35)", "iwae")):
        if rows.shape[0] > 1:
            gx, gy = gapped(it.n, rows)
            data.append(
                {
                    "type": "scatter",
                    "x": gx,
                    "y": gy,
                    "mode": "lines",
                    "line": {"color": colour, "width": 1},
                    "name": t(f"monte_carlo.{key}_runs"),
                    "hoverinfo": "skip",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": n,
                "y": rows.mean(axis=0),
                "mode": "lines",
                "name": t(f"monte_carlo.{key}_mean"),
                "line": {"color": Q_ORANGE if key == "avg" else P_BLUE, "width": 3},
            }
        )
    keep = n >= asymptote_from(chi2)
    if keep.any() and chi2 > 0:
        data.append(
            {
                "type": "scatter",
                "x": n[keep],
                "y": it.log_px - chi2 / (2 * n[keep]),
                "mode": "lines",
                "name": t("monte_carlo.asymptote"),
                "line": {"color": P_BLUE, "width": 2, "dash": "dot"},
            }
        )
    data += [
        hline(n, it.log_px, f"log p(x) = {num(it.log_px)}", P_BLUE),
        hline(n, it.elbo, f"ELBO = {num(it.elbo)}", Q_ORANGE),
    ]
    early = it.n >= min(10, it.n[-1])
    lo = min(it.elbo - 0.6 * max(gap, 0.05), float(np.quantile(it.avg_log[:, early], 0.02)))
    hi = max(it.log_px + 0.35 * max(gap, 0.05), float(np.quantile(it.iwae[:, early], 0.98)))
    gap_band = {
        "type": "rect",
        "xref": "x domain",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": it.elbo,
        "y1": it.log_px,
        "fillcolor": GAP_RED,
        "opacity": 0.08,
        "line": {"width": 0},
        "layer": "below",
    }
    # Up to seven legend entries in two columns, in a top margin sized for their rows: left to plotly,
    # a legend of three or four rows ran down over the plot (its margin push stops short).
    rows = -(-len(data) // 2)
    legend = {
        "orientation": "h",
        "entrywidth": 0.5,
        "entrywidthmode": "fraction",
        "x": 0,
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        "tracegroupgap": 0,
    }
    return figure(
        data,
        440 + LEGEND_ROW_PX * rows,
        {**MARGIN, "t": 16 + LEGEND_ROW_PX * rows},
        hovermode="closest",
        xaxis=log_n_axis(),
        shapes=[gap_band],
        legend=legend,
        yaxis={"range": [lo, hi], "title": {"text": t("monte_carlo.axis_nats")}},
    )
