"""Figures of the diffusion page (views/diffusion.py): numbers in, a chart with its labels in the
current language out. The page's ledger and denoising bars are live charts (ui/live/chart.py: the
page loads no Plotly); the lesson's bound-terms bars are still a plotly figure. Colours as everywhere
(ui.components): log p in blue, the ELBO's reconstruction in orange (q's term), KL terms to a prior
in grey, denoising KLs in purple, the gap in red."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, PRIOR_GREY, Q_ORANGE, num
from ui.i18n import t
from ui.live import chart as lc
from ui.plots import figure


def _stack(values: list[float]) -> list[tuple[float, float]]:
    """(base, top) of each segment of one stacked bar, as plotly's barmode "relative" stacks them:
    positive values upward from 0, negative ones downward from 0, each in its order."""
    up = down = 0.0
    out = []
    for v in values:
        if v >= 0:
            out.append((up, up + v))
            up += v
        else:
            out.append((down, down + v))
            down += v
    return out


def ledger_chart(neg_log_p: float, neg_recon: float, prior: float, denoise: float, gap: float) -> dict:
    """Two stacked bars of the same height, −ELBO in nats: its three terms (left) and −log p(x₀) + gap
    (right) — the chapter's eq. 1.4.10 for the chain; negative segments stack below zero, a dotted line
    marks −ELBO. A chart the live layer draws (ui/live/chart.py), so the page loads no Plotly."""
    segments = [  # (bar, value, colour, legend label)
        (0, neg_recon, Q_ORANGE, t("diffusion.term_recon")),
        (0, prior, PRIOR_GREY, t("diffusion.term_prior")),
        (0, denoise, NEG_PURPLE, t("diffusion.term_denoise")),
        (1, neg_log_p, P_BLUE, "−log p(x₀)"),
        (1, gap, GAP_RED, t("diffusion.term_gap")),
    ]
    spans = {bar: iter(_stack([v for b, v, *_ in segments if b == bar])) for bar in (0, 1)}
    traces, ends = [], [0.0]
    for bar, _, colour, _ in segments:
        base, top = next(spans[bar])
        traces.append(lc.bars([bar], [top], colour, 0.8, base=[base]))  # plotly's bargap 0.2
        ends += [base, top]
    total = neg_recon + prior + denoise
    lo, hi = min(*ends, total), max(*ends, total)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    span = (lo - pad if lo < 0 else 0.0, hi + pad if hi > 0 else 0.0)
    x = lc.axis(span=(-0.5, 1.5), ticks=[(0, t("diffusion.bar_terms")), (1, t("diffusion.bar_evidence"))], grid=False)
    y = lc.axis(t("diffusion.bar_axis"), span=span, zero=True)
    return lc.spec(
        "diffusion_ledger",
        260,
        {"l": 55, "r": 10, "t": 10, "b": 30},
        [lc.panel(x, y, traces, [lc.hline(total, lc.TEXT, 1, "dot")])],
        [lc.item(label, colour, kind="fill") for _, _, colour, label in segments],
        aria=t("diffusion.ledger_aria", elbo=num(-total), log_p=num(-neg_log_p), gap=num(gap)),
    )


def _integer_ticks(lo: int, hi: int, most: int = 9) -> list[tuple[int, str]]:
    """Whole-number ticks from lo to hi, every 1, 2, 5, 10, 20, … so at most ``most`` are labelled."""
    step = next(s * 10**k for k in range(6) for s in (1, 2, 5) if (hi - lo) // (s * 10**k) + 1 <= most)
    first = -(-lo // step) * step
    return [(v, str(v)) for v in range(first, hi + 1, step)]


def denoising_chart(denoise: np.ndarray) -> dict:
    """The T−1 denoising-matching KLs against t, one bar each (a live chart, ui/live/chart.py)."""
    t_axis = np.arange(2, len(denoise) + 2)
    top = float(np.max(denoise)) if len(denoise) else 1.0
    x = lc.axis("t", span=(1.5, t_axis[-1] + 0.5), ticks=_integer_ticks(2, int(t_axis[-1])), grid=False)
    y = lc.axis(t("diffusion.denoise_axis"), span=(0.0, 1.05 * top if top > 0 else 1.0))
    return lc.spec(
        "diffusion_denoising",
        210,
        {"l": 60, "r": 10, "t": 10, "b": 45},
        [lc.panel(x, y, [lc.bars(t_axis, denoise, NEG_PURPLE, 0.8)])],
        [],
        aria=t("diffusion.denoise_aria", n=len(denoise)),
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
