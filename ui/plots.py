"""Plotly conventions shared by the pages (imported only by pages that draw charts)."""

from __future__ import annotations

import plotly.graph_objects as go

# No mode bar clutter for a classroom projector; keep zoom by drag and reset by double-click.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def style(fig: go.Figure, height: int = 360, legend_top: bool = True) -> go.Figure:
    """Tight margins, a horizontal legend above the plot, and no animated relayout."""
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if legend_top else 20, "b": 10},
        hovermode="x unified" if legend_top else "closest",
        transition={"duration": 0},
    )
    if legend_top:
        fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def log_ticks(lo_exp: int, hi_exp: int) -> dict:
    """Colour-bar ticks for a log10-valued heatmap, labelled with the real values."""
    values = list(range(lo_exp, hi_exp + 1))
    return {"tickvals": values, "ticktext": [f"{10.0**v:g}" for v in values]}
