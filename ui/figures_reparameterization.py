"""Figures of the reparameterization page (views/reparameterization.py): plain functions, numbers in,
figures out — the chapter's two computation graphs (Graphviz) and two charts drawn by the live layer
(the ε map is the live view, ui/live/reparam.py).

Speed: the spread and sweep charts change with every move of k (the spread entirely, the sweep by its
k marker), so they are specs for ui/live/chart.py, drawn on a canvas from the server's numbers: as
Plotly figures every release cost a serialisation on the server and a full plotly.js redraw in the
browser (docs/benchmarks.md, issue 24). Runs share one line per estimator and axis
(broken between runs in the browser).
"""

from __future__ import annotations

import math

import numpy as np

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, PRIOR_GREY, Q_ORANGE
from ui.i18n import t
from ui.live import chart as lc
from vae_core.gradients import ESTIMATORS, PerSampleVariances, variance_ratio

# One colour per estimator on this page (p/q/gap colours keep their meaning elsewhere).
COLOURS = {"pathwise": "#0f9d8a", "score": "#c2185b", "baseline": NEG_PURPLE}
AXIS = 7.0  # the live ε map's fixed x-range ±AXIS (ui/live/reparam.py): moving μ or σ visibly moves the points


# The diagrams' text in points (Graphviz's unit; 1 pt = 4/3 px): 13 pt ≈ 17 px, 16 pt ≈ 21 px when
# presenting, sized so that the wider graph still fits half of a 1280-px projector page unscaled.
GRAPH_PT, PRESENT_GRAPH_PT = 13, 16


def graph(kind: str, present: bool = False) -> str:
    """The chapter's two figures of section 1.4.2.2 as Graphviz DOT, labels in the page language.

    kind "sample": z drawn inside the network (no gradient reaches μ, σ); "reparam": z = μ + σ⊙ε.
    Text at GRAPH_PT (PRESENT_GRAPH_PT with ``present``). Plain-text labels only: the browser's
    Graphviz mis-spaces HTML labels (a <SUB> lands a line below), so the networks' parameters φ and θ
    get a line of their own instead of a subscript.
    """
    size = PRESENT_GRAPH_PT if present else GRAPH_PT
    stochastic = 'shape=box, style="dashed,filled"'
    lines = [
        "digraph {",
        'rankdir=TB; bgcolor="transparent"; nodesep=0.3; ranksep=0.3',
        f'node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", color="#999", fontsize={size}]',
        f'edge [color="#666", fontsize={size - 1}]',
        f'x [label="{t("reparameterization.g_x")}"]',
        f'enc [label="{t("reparameterization.g_encoder")} q(z|x)\\n'
        f'{t("reparameterization.g_weights", w="φ")}", fillcolor="#ffe6cc", '
        f'color="{Q_ORANGE}"]',
        'musig [label="μ, σ", shape=ellipse]',
        f'dec [label="{t("reparameterization.g_decoder")} p(x|z)\\n'
        f'{t("reparameterization.g_weights", w="θ")}", fillcolor="#dbe9f6", '
        f'color="{P_BLUE}"]',
        'rec [label="log p(x|z)"]',
        'kl [label="KL(q(z|x) ‖ p(z))"]',
        f'elbo [label="ELBO ({t("reparameterization.g_eq")})", style="rounded,filled,bold"]',
        "x -> enc -> musig; dec -> rec -> elbo; musig -> kl -> elbo",
    ]
    if kind == "sample":
        lines += [
            f'z [label="{t("reparameterization.g_sample")}\\nz ~ N(μ, σ²)", {stochastic}, fillcolor="#fbe3e3", '
            f'color="{GAP_RED}", fontcolor="{GAP_RED}"]',
            "musig -> z -> dec",
            f'z -> musig [style=dashed, color="{GAP_RED}", fontcolor="{GAP_RED}", constraint=false, '
            f'label="  ✗ {t("reparameterization.g_blocked")}"]',
        ]
    else:
        lines += [
            f'eps [label="ε ~ N(0, I)\\n{t("reparameterization.g_noise")}", {stochastic}, fillcolor="#ececec", '
            f'color="{PRIOR_GREY}"]',
            f'z [label="z = μ + σ ⊙ ε", fillcolor="#e3f4ef", color="{COLOURS["pathwise"]}"]',
            "{rank=same; musig; eps} musig -> z; eps -> z; z -> dec",
            f'z -> musig [style=dashed, color="{COLOURS["pathwise"]}", fontcolor="{COLOURS["pathwise"]}", '
            'constraint=false, label="  ✓ ∂z/∂μ = 1\\n  ∂z/∂σ = ε"]',
        ]
    return "\n".join([*lines, "}"])


def spread_chart(
    runs: dict[str, np.ndarray],
    counts: np.ndarray,
    var: PerSampleVariances,
    exact: tuple[float, float],
    shown: tuple[str, ...],
) -> dict:
    """Running estimates of ∂/∂μ and ∂/∂σ against L, side by side, with the exact ±2 s.d./√L bands:
    a chart the live layer draws from the running estimates (ui/live/chart.py; it was a Plotly figure
    that every k move rebuilt and redrew in full).

    runs: estimator → (runs, len(counts), 2) from vae_core.gradients.running_estimates; var: exact
    per-sample variances; exact: (∂/∂μ, ∂/∂σ) of E_q[f].
    """
    panels = []
    for col, wrt in enumerate(("mu", "sigma")):
        centre = float(exact[col])
        sd = {name: float(np.sqrt(var.get(name, wrt))) for name in shown}
        size = {name: counts[counts >= (2 if name == "baseline" else 1)].astype(float) for name in shown}
        traces = []
        for name in shown:  # bands first
            half = 2.0 * sd[name] / np.sqrt(size[name])
            traces.append(
                lc.band(size[name], centre - half, centre + half, COLOURS[name], 0.3 if name == "pathwise" else 0.14)
            )
        for name in sorted(shown, key=lambda n: n == "pathwise"):  # the pathwise runs on top
            keep = counts >= size[name][0]
            width = 2 if name == "pathwise" else 1.2
            traces.append(lc.runs_line(size[name], runs[name][:, keep, col], COLOURS[name], width))
        half = 2.2 * max(sd.values()) / np.sqrt(3.0) or 1.0
        panels.append(
            lc.panel(
                lc.axis(t("reparameterization.axis_L"), log=True),
                lc.axis(span=(centre - half, centre + half)),
                traces,
                [lc.hline(centre, lc.TEXT, 1.5, "dash")],
                title=("∂/∂μ E_q[f]", "∂/∂σ E_q[f]")[col],
                domain=(0.0, 0.46) if col == 0 else (0.54, 1.0),
            )
        )
    legend = [
        lc.item(t(f"reparameterization.est_{name}"), COLOURS[name], 2 if name == "pathwise" else 1.2)
        for name in sorted(shown, key=ESTIMATORS.index)
    ]
    legend.append(lc.item(t("reparameterization.exact"), lc.TEXT, 2, "dash"))
    return lc.spec(
        "reparam_spread",
        380,
        {"l": 76, "r": 24, "t": 30, "b": 56},
        panels,
        legend,
        legend_at="bottom",
        aria=t("reparameterization.spread_aria"),
    )


def sweep_chart(var: PerSampleVariances, k_grid: np.ndarray, k: float, shown: tuple[str, ...]) -> dict:
    """Per-sample variance ratio SF / RP over a grid of k at the current μ, σ (Mohamed et al., Fig. 2),
    with the current k marked: a chart the live layer draws (ui/live/chart.py). Only the marker
    depends on k.

    var: per_sample_variances over k_grid (arrays of len(k_grid)); k: the current k, marked.
    """
    traces, legend, ratios = [], [], [np.ones(1)]
    for name in [s for s in shown if s != "pathwise"]:
        for wrt, dash in (("mu", None), ("sigma", "dot")):
            ratio = np.clip(variance_ratio(var.get(name, wrt), var.get("pathwise", wrt)), 1e-8, 1e8)
            ratios.append(ratio)
            traces.append(lc.line(k_grid, ratio, COLOURS[name], 2, dash))
            label = t(f"reparameterization.est_{name}") + (" · ∂μ" if wrt == "mu" else " · ∂σ")
            legend.append(lc.item(label, COLOURS[name], 2, dash))
    notes = [  # either side of the ratio 1: above it the pathwise estimator has the smaller variance
        {"text": t("reparameterization.sweep_rp_wins"), "y": 1.0, "side": "above"},
        {"text": t("reparameterization.sweep_sf_wins"), "y": 1.0, "side": "below"},
    ]
    every = np.concatenate(ratios)
    span = (float(every.min()) / 10**0.4, float(every.max()) * 10**0.1)  # room for the note under 1
    shapes = [lc.hline(1.0, lc.TEXT, 1), lc.vline(k, PRIOR_GREY, 1.5, "dash")]
    axes = lc.axis("k", log=True), lc.axis(t("reparameterization.sweep_axis"), log=True, span=span)
    return lc.spec(
        "reparam_sweep",
        400,
        {"l": 76, "r": 24, "t": 12, "b": 56},
        [lc.panel(*axes, traces, shapes, notes)],
        legend,
        aria=t("reparameterization.sweep_title"),
    )


# --- numbers in the tables and metrics ------------------------------------------------------
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(value: float, digits: int = 4) -> str:
    """A positive number to ``digits`` significant figures, as 1.36×10⁶ when it is very large or small."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        magnitude = math.floor(math.log10(abs(value)))
        decimals = max(0, digits - 1 - magnitude)
        text = f"{round(value, digits - 1 - magnitude):,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPT)}"


def ratio_text(ratio: float) -> str:
    """A variance ratio for display: three significant figures, always finite."""
    if ratio >= 1e6 or ratio < 1e-3:
        return f"{ratio:.2e}×"
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.3g}×"
