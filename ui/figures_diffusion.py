"""Figures of the diffusion page (views/diffusion.py): numbers in, a plotly figure with its labels in
the current language out. Colours as everywhere (ui.components): log p in blue, the ELBO's
reconstruction in orange (q's term), KL terms to a prior in grey, denoising KLs in purple, the gap in red."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, PRIOR_GREY, Q_ORANGE, num
from ui.i18n import t
from ui.plots import figure


def ledger_figure(neg_log_p: float, neg_recon: float, prior: float, denoise: float, gap: float) -> go.Figure:
    """Two stacked bars of the same height, −ELBO in nats: its three terms (left) and −log p(x₀) + gap
    (right) — the chapter's eq. 1.4.10 for the chain. Negative segments stack below zero."""
    left, right = t("diffusion.bar_terms"), t("diffusion.bar_evidence")

    def seg(x, y, colour, name):
        return {
            "type": "bar",
            "x": [x],
            "y": [y],
            "name": name,
            "marker": {"color": colour},
            "hovertemplate": f"{name}: {num(y)}<extra></extra>",
        }

    data = [
        seg(left, neg_recon, Q_ORANGE, t("diffusion.term_recon")),
        seg(left, prior, PRIOR_GREY, t("diffusion.term_prior")),
        seg(left, denoise, NEG_PURPLE, t("diffusion.term_denoise")),
        seg(right, neg_log_p, P_BLUE, "−log p(x₀)"),
        seg(right, gap, GAP_RED, t("diffusion.term_gap")),
    ]
    total = neg_recon + prior + denoise
    return figure(
        data,
        330,
        {"l": 55, "t": 95, "b": 30},
        barmode="relative",
        hovermode="closest",
        yaxis={"title": {"text": t("diffusion.bar_axis")}, "zeroline": True},
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": total,
                "y1": total,
                "line": {"color": "black", "dash": "dot", "width": 1},
            }
        ],
    )


def denoising_figure(denoise: np.ndarray) -> go.Figure:
    """The T−1 denoising-matching KLs against t."""
    t_axis = np.arange(2, len(denoise) + 2)
    data = [
        {
            "type": "bar",
            "x": t_axis,
            "y": denoise,
            "marker": {"color": NEG_PURPLE},
            "name": t("diffusion.term_denoise"),
            "hovertemplate": "t = %{x}: %{y:.4g}<extra></extra>",
        }
    ]
    return figure(
        data,
        240,
        {"l": 60, "b": 45},
        legend_top=False,
        xaxis={"title": {"text": "t"}},
        yaxis={"title": {"text": t("diffusion.denoise_axis")}},
    )


def bound_terms_figure(rows: list[tuple[str, float, str]]) -> go.Figure:
    """The DDPM's −ELBO per digit, one horizontal bar per term: rows of (label, nats, kind) with kind
    "recon" | "prior" | "denoise" (the lesson's step on what the network learns)."""
    colours = {"recon": Q_ORANGE, "prior": PRIOR_GREY, "denoise": NEG_PURPLE}
    labels = [r[0] for r in rows][::-1]
    values = [max(r[1], 0.0) for r in rows][::-1]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": values,
            "marker": {"color": [colours[r[2]] for r in rows][::-1]},
            "text": [f"{v:.3f}" for v in values],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{x:.4f}<extra></extra>",
        }
    ]
    top = max(values) if values else 1.0
    return figure(
        data,
        60 + 42 * len(rows),
        {"l": 10, "r": 60, "t": 10, "b": 45},
        legend_top=False,
        showlegend=False,
        xaxis={"title": {"text": t("diffusion.bar_axis")}, "range": [0, 1.15 * top], "fixedrange": True},
        yaxis={"automargin": True, "fixedrange": True},
        dragmode=False,
    )
