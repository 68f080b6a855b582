"""Figures of the Monte Carlo page (views/monte_carlo.py): plain functions, numbers in, figures out
(the running estimates are the live view, ui/live/mc.py, which shares the colours and y-range here).

The errors and IWAE charts change with every move of L or runs, so they are drawn by the live layer
(:func:`error_chart`, :func:`iwae_chart` → ui/live/chart.py specs): as Plotly figures each release
cost ~10 ms of server CPU to serialise and a full plotly.js redraw (docs/benchmarks.md, issue 24).
The histogram (:func:`histogram_chart`) is a live chart too, one filled step outline rather than
hundreds of bars: with it the page loads no Plotly, whose module alone cost every fresh load ~1–2 s
of browser CPU (docs/benchmarks.md "Pages without Plotly").
"""

from __future__ import annotations

import numpy as np

from ui.components import GAP_RED, P_BLUE, Q_ORANGE, num
from ui.i18n import t
from ui.live import chart as lc
from vae_core.monte_carlo import Convergence, Iwae, histogram, lattice_step

RUNS_GREY, RUN1_DARK = "rgba(120,130,150,0.45)", "#3b4a6b"
HIST_FILL, HIST_LINE = "rgba(59,74,107,0.55)", "rgba(59,74,107,0.8)"
CURVE_POINTS = 200  # a smooth curve (the CLT normal) needs ~200 points, not 1,000


# Margins wide enough for the tick labels and axis titles (plus room on the right for the last
# log-axis label, "10k", which plotly hides past the div): the template has no automargin.
MARGIN = {"l": 76, "r": 30, "b": 60}


def y_range(rows: np.ndarray, n: np.ndarray, centre: float, spread: float) -> list[float]:
    """Axis range covering the runs from n ≥ 10 on (the first few samples may be wild) and the funnel."""
    keep = n >= min(10, n[-1])
    lo = min(float(rows[:, keep].min()), centre - 2 * spread / np.sqrt(n[keep][0]))
    hi = max(float(rows[:, keep].max()), centre + 2 * spread / np.sqrt(n[keep][0]))
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return [lo - pad, hi + pad]


def error_chart(conv: Convergence, slope: float) -> dict:
    """|Q_n − exact| of every run and their root mean square on log–log axes, next to σ/√n: a chart
    the live layer draws (ui/live/chart.py; it was a Plotly figure that every L or runs move rebuilt)."""
    n = conv.n.astype(float)
    err = np.abs(conv.mean - conv.exact)
    rms = np.sqrt(np.mean(err**2, axis=0))
    rms_label = t("monte_carlo.rms", slope=f"{slope:.2f}".replace("-", "−"))
    traces = [
        lc.runs_line(n, np.where(err > 0, err, np.nan), RUNS_GREY, 1),
        lc.line(n, np.where(rms > 0, rms, np.nan), GAP_RED, 3),
        lc.line(n, conv.sd / np.sqrt(n), lc.TEXT, 2, "dash"),
    ]
    legend = [
        lc.item(t("monte_carlo.err_runs"), RUNS_GREY, 1.5),
        lc.item(rms_label, GAP_RED, 3),
        lc.item(t("monte_carlo.reference"), lc.TEXT, 2, "dash"),
    ]
    axes = lc.axis(t("monte_carlo.axis_n"), log=True), lc.axis(t("monte_carlo.axis_err"), log=True)
    return lc.spec(
        "mc_errors",
        360,
        {**MARGIN, "t": 12},
        [lc.panel(*axes, traces)],
        legend,
        aria=t("monte_carlo.err_title"),
    )


def histogram_chart(values: np.ndarray, target: str, L: int, exact: float, sd: float, repeats: int) -> dict:
    """Histogram of repeated Q_L (one filled step outline) under the CLT's normal N(exact, σ²/L), the
    exact value a vertical line: a chart the live layer draws (ui/live/chart.py), so the page loads no
    Plotly. The x view is the bulk and the CLT curve, not a far outlier; y starts at 0."""
    step = lattice_step(target)
    edges, density = histogram(values, lattice=step / L if step else None)
    clt_sd = sd / np.sqrt(L)
    q_lo, q_hi = np.quantile(values, [0.002, 0.998])  # the view: the bulk and the CLT curve, not a far outlier
    view = [min(float(q_lo), exact - 4 * clt_sd), max(float(q_hi), exact + 4 * clt_sd)]
    pad = 0.04 * (view[1] - view[0])
    view = [view[0] - pad, view[1] + pad]
    grid = np.linspace(view[0], view[1], CURVE_POINTS)
    normal = np.exp(-0.5 * ((grid - exact) / clt_sd) ** 2) / (clt_sd * np.sqrt(2 * np.pi))
    top = 1.05 * max(float(density.max()), float(normal.max()))  # as plotly's autorange: a little room above
    traces = [lc.steps(edges, density, HIST_LINE, fill=HIST_FILL), lc.line(grid, normal, GAP_RED, 2.5)]
    legend = [
        lc.item(t("monte_carlo.hist_bars", repeats=f"{repeats:,}"), HIST_FILL, kind="fill", line=HIST_LINE),
        lc.item(t("monte_carlo.clt"), GAP_RED, 2.5),
    ]
    axes = lc.axis(t("monte_carlo.axis_q"), span=view), lc.axis(t("monte_carlo.axis_density"), span=(0.0, top))
    return lc.spec(
        "mc_histogram",
        370,
        {**MARGIN, "t": 12},
        [lc.panel(*axes, traces, [lc.vline(exact, lc.TEXT)])],
        legend,
        aria=t("monte_carlo.hist_aria", repeats=f"{repeats:,}", L=f"{L:,}"),
    )


def asymptote_from(chi2: float) -> float:
    """The delta method's bias χ²/(2L) holds once the average weight is concentrated: L ≥ 10 χ²."""
    return max(1.0, 10.0 * chi2) if np.isfinite(chi2) else np.inf


def iwae_chart(it: Iwae, chi2: float) -> dict:
    """IWAE (log of the mean weight) and the mean log weight against n, between ELBO and log p(x): a
    chart the live layer draws (ui/live/chart.py), legend in two HTML columns above it."""
    n, gap = it.n.astype(float), it.log_px - it.elbo
    traces, legend = [], []
    for rows, colour, mean_colour, key in (
        (it.avg_log, "rgba(255,127,14,0.35)", Q_ORANGE, "avg"),
        (it.iwae, "rgba(31,119,180,0.35)", P_BLUE, "iwae"),
    ):
        if rows.shape[0] > 1:
            traces.append(lc.runs_line(n, rows, colour, 1))
            legend.append(lc.item(t(f"monte_carlo.{key}_runs"), colour, 1.5))
        traces.append(lc.line(n, rows.mean(axis=0), mean_colour, 3))
        legend.append(lc.item(t(f"monte_carlo.{key}_mean"), mean_colour, 3))
    keep = n >= asymptote_from(chi2)
    if keep.any() and chi2 > 0:
        traces.append(lc.line(n[keep], it.log_px - chi2 / (2 * n[keep]), P_BLUE, 2, "dot"))
        legend.append(lc.item(t("monte_carlo.asymptote"), P_BLUE, 2, "dot"))
    legend += [lc.item(f"log p(x) = {num(it.log_px)}", P_BLUE, 1.5), lc.item(f"ELBO = {num(it.elbo)}", Q_ORANGE, 1.5)]
    early = it.n >= min(10, it.n[-1])
    lo = min(it.elbo - 0.6 * max(gap, 0.05), float(np.quantile(it.avg_log[:, early], 0.02)))
    hi = max(it.log_px + 0.35 * max(gap, 0.05), float(np.quantile(it.iwae[:, early], 0.98)))
    shapes = [lc.hband(it.elbo, it.log_px, GAP_RED, 0.08), lc.hline(it.log_px, P_BLUE), lc.hline(it.elbo, Q_ORANGE)]
    axes = lc.axis(t("monte_carlo.axis_n"), log=True), lc.axis(t("monte_carlo.axis_nats"), span=(lo, hi))
    return lc.spec(
        "mc_iwae",
        420,
        {**MARGIN, "t": 12},
        [lc.panel(*axes, traces, shapes)],
        legend,
        legend_columns=2,
        aria=t("monte_carlo.iwae_title"),
    )
