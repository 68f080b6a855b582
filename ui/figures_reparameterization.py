"""Figures of the reparameterization page (views/reparameterization.py): plain functions, numbers in,
figures out — the chapter's two computation graphs (Graphviz) and two plotly charts (the ε map is the
live view, ui/live/reparam.py).

Speed (see ui/plots.py and ui/figures_monte_carlo.py): the browser redraws every chart whose spec changed,
so the figures are lean (runs share one NaN-gapped trace per estimator and axis, bands are single
polygons), built with :func:`ui.plots.figure`, and their margins leave room for the tick labels
and titles (the template has no automargin: a pushed margin makes plotly.js draw twice).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, PRIOR_GREY, Q_ORANGE
from ui.i18n import t
from ui.plots import figure
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


def hline(y: float, xref: str = "x", **line) -> dict:
    """A horizontal line across one subplot, as a layout shape."""
    return {
        "type": "line",
        "xref": f"{xref} domain",
        "yref": xref.replace("x", "y"),
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": line,
    }


def spread_figure(
    runs: dict[str, np.ndarray],
    counts: np.ndarray,
    var: PerSampleVariances,
    exact: tuple[float, float],
    shown: tuple[str, ...],
) -> go.Figure:
    """Running estimates of ∂/∂μ and ∂/∂σ against L, side by side, with the exact ±2 s.d./√L bands.

    runs: estimator → (runs, len(counts), 2) from vae_core.gradients.running_estimates; var: exact
    per-sample variances; exact: (∂/∂μ, ∂/∂σ) of E_q[f].
    """
    n_runs = next(iter(runs.values())).shape[0]
    gap = np.full((n_runs, 1), np.nan)
    data, axes, shapes = [], {}, []
    for col, wrt in enumerate(("mu", "sigma")):
        axis = "x" if col == 0 else "x2"
        refs = {"xaxis": axis, "yaxis": axis.replace("x", "y")}
        centre = float(exact[col])
        sd = {name: float(np.sqrt(var.get(name, wrt))) for name in shown}
        size = {name: counts[counts >= (2 if name == "baseline" else 1)].astype(float) for name in shown}
        for name in shown:  # bands first
            half = 2.0 * sd[name] / np.sqrt(size[name])
            data.append(
                {
                    "type": "scatter",
                    **refs,
                    "x": np.concatenate([size[name], size[name][::-1]]),
                    "y": np.concatenate([centre + half, (centre - half)[::-1]]),
                    "fill": "toself",
                    "mode": "lines",
                    "fillcolor": COLOURS[name],
                    "opacity": 0.3 if name == "pathwise" else 0.14,
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "legendgroup": name,
                    "showlegend": False,
                }
            )
        for name in sorted(shown, key=lambda n: n == "pathwise"):  # the pathwise runs on top
            keep = counts >= size[name][0]
            data.append(
                {
                    "type": "scatter",
                    **refs,
                    "x": np.tile(np.append(size[name], np.nan), n_runs),
                    "y": np.hstack([runs[name][:, keep, col], gap]).ravel(),
                    "mode": "lines",
                    "line": {"color": COLOURS[name], "width": 2 if name == "pathwise" else 1.2},
                    "name": t(f"reparameterization.est_{name}"),
                    "legendgroup": name,
                    "showlegend": col == 0,
                    "hoverinfo": "skip",
                    "legendrank": ESTIMATORS.index(name),
                }
            )
        half = 2.2 * max(sd.values()) / np.sqrt(3.0) or 1.0
        shapes.append(hline(centre, axis, color="black", dash="dash", width=1.5))
        suffix = "2" if col else ""
        axes[f"xaxis{suffix}"] = {
            "type": "log",
            "domain": [0.0, 0.46] if col == 0 else [0.54, 1.0],
            "anchor": refs["yaxis"],
            "title": {"text": t("reparameterization.axis_L")},
        }
        axes[f"yaxis{suffix}"] = {"range": [centre - half, centre + half], "anchor": axis}
    data.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": t("reparameterization.exact"),
            "line": {"color": "black", "dash": "dash"},
        }
    )
    titles = [
        {
            "text": title,
            "x": x,
            "y": 1.0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "center",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 14},
        }
        for title, x in (("∂/∂μ E_q[f]", 0.23), ("∂/∂σ E_q[f]", 0.77))
    ]
    # legend under the plots: the subplot titles sit above them
    return figure(
        data,
        450,
        {"l": 76, "r": 24, "t": 34, "b": 110},
        legend_top=False,
        hovermode=False,
        annotations=titles,
        shapes=shapes,
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        **axes,
    )


def sweep_figure(var: PerSampleVariances, k_grid: np.ndarray, k: float, shown: tuple[str, ...]) -> go.Figure:
    """Per-sample variance ratio SF / RP over a grid of k at the current μ, σ (Mohamed et al., Fig. 2).

    var: per_sample_variances over k_grid (arrays of len(k_grid)); k: the current k, marked.
    """
    data = []
    for name in [s for s in shown if s != "pathwise"]:
        for wrt, dash in (("mu", "solid"), ("sigma", "dot")):
            ratio = np.clip(variance_ratio(var.get(name, wrt), var.get("pathwise", wrt)), 1e-8, 1e8)
            data.append(
                {
                    "type": "scatter",
                    "x": k_grid,
                    "y": ratio,
                    "mode": "lines",
                    "name": t(f"reparameterization.est_{name}") + (" · ∂μ" if wrt == "mu" else " · ∂σ"),
                    "line": {"color": COLOURS[name], "dash": dash, "width": 2},
                }
            )
    notes = [
        {
            "x": 0.01,
            "y": 0,
            "xref": "paper",
            "text": t(key),
            "showarrow": False,
            "xanchor": "left",
            "yanchor": anchor,
            "font": {"size": 14, "color": "#444"},
            "bgcolor": "rgba(255,255,255,0.8)",
        }
        for key, anchor in (("reparameterization.sweep_rp_wins", "bottom"), ("reparameterization.sweep_sf_wins", "top"))
    ]
    shapes = [
        hline(1.0, color="black", width=1),
        {
            "type": "line",
            "xref": "x",
            "yref": "y domain",
            "x0": k,
            "x1": k,
            "y0": 0,
            "y1": 1,
            "line": {"color": PRIOR_GREY, "dash": "dash"},
        },
    ]
    return figure(
        data,
        440,
        {"l": 76, "r": 24, "b": 56},
        hovermode="x unified",
        annotations=notes,
        shapes=shapes,
        xaxis={"type": "log", "title": {"text": "k"}},
        yaxis={
            "type": "log",
            "title": {"text": t("reparameterization.sweep_axis")},
            "exponentformat": "power",
            "dtick": 1,
        },
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
