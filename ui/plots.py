"""Plotly conventions shared by the pages (imported only by pages that draw charts).

Speed (measured; see docs/benchmarks.md): on a slider move the browser re-renders every chart
whose spec changed, ~60–120 ms each, while an unchanged chart costs nothing. So a page sends
only the charts a control really changes, keeps the others byte-identical, and builds each
figure in one go from plain dicts (:func:`figure`, no per-call validation and no re-layout).
:func:`chart` renders with our own theme (Streamlit's ``theme="streamlit"`` re-styles every figure
in the browser, ~15 % of its render time).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from ui.state import presenting

# No mode bar clutter for a classroom projector; keep zoom by drag and reset by double-click.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}

FONT = '"Source Sans Pro", "Source Sans 3", "Noto Sans CJK SC", sans-serif'
# Text sizes in px: readable from the back of a classroom; projector size in presenter mode.
TEXT_PX = 14
PRESENT_TEXT_PX = 18
GRID = "rgba(49, 51, 63, 0.10)"
TEXT = "rgb(49, 51, 63)"
MUTED = "rgba(49, 51, 63, 0.8)"  # ticks and axis titles: 80 % of the text colour is ≥ 4.5:1 on white
# The one template. Not derived from plotly_white: plotly.py validates and deep-copies that
# template's per-trace defaults for every figure built. No axis automargin: it makes plotly.js lay
# a figure out twice, so every figure reserves room for its tick labels and titles in ``margin``.
_AXIS = {
    "gridcolor": GRID,
    "zeroline": False,
    "linecolor": GRID,
    "tickfont": {"color": MUTED},
    "title": {"font": {"size": TEXT_PX, "color": MUTED}},
    "automargin": False,
    "ticks": "",
}
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": TEXT_PX, "color": TEXT},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT}, "align": "left"},
        "xaxis": {**_AXIS, "showgrid": False},
        "yaxis": _AXIS,
        "transition": {"duration": 0},
        "colorway": pio.templates["plotly_white"].layout.colorway,
        "autotypenumbers": "strict",
        "shapedefaults": {"line": {"color": TEXT}},
        "annotationdefaults": {"arrowcolor": TEXT, "arrowhead": 0, "arrowwidth": 1},
    }
)


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def figure(data: list[dict], height: int, margin: dict, legend_top: bool = True, **layout) -> go.Figure:
    """The one way to build a figure: plain trace dicts, the house template, and ``layout`` on top.

    ``margin`` must leave room for tick labels and axis titles (there is no automargin). With
    ``legend_top`` the legend sits in a row above the plot and hovering shows all traces at an x;
    without it there is no legend row and hovering picks the closest point. Built without plotly's
    per-property validation (~10 ms per figure on the server, measured); tests/test_figures.py
    validates every figure of every page instead.
    """
    base = {
        "template": TEMPLATE,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40 if legend_top else 20, "b": 10, **margin},
        "hovermode": "x unified" if legend_top else "closest",
    }
    if legend_top:
        base["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}
    return go.Figure(data=data, layout=_merge(base, layout), _validate=False)


def rgba(colour: str, alpha: float) -> str:
    """'#rrggbb' → 'rgba(r,g,b,alpha)': a concept's colour, translucent (e.g. a fill over a grid)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _log_axes_decades(fig: go.Figure) -> None:
    """Log axes without explicit ticks label whole decades only: plotly's automatic 2 and 5 labels
    between decades are drawn at ¾ of the font size (9 px at 12 px), too small to read."""
    for name in fig.layout:
        if name.startswith(("xaxis", "yaxis")):
            axis = fig.layout[name]
            if axis.type == "log" and axis.dtick is None and axis.tickvals is None:
                axis.dtick = 1


def _projector(fig: go.Figure) -> None:
    """Presenter mode: every text of the figure at ≥ PRESENT_TEXT_PX, with margins grown to match."""
    scale = PRESENT_TEXT_PX / TEXT_PX
    layout = fig.layout

    def grow(font) -> None:
        if font.size is not None:
            font.size = max(font.size * scale, PRESENT_TEXT_PX)

    layout.font.size = PRESENT_TEXT_PX
    for name in {"xaxis", "yaxis", *(n for n in layout if n.startswith(("xaxis", "yaxis")))}:
        axis = layout[name]
        axis.title.font.size = max(axis.title.font.size or TEXT_PX, PRESENT_TEXT_PX)  # the templates set 14
        grow(axis.tickfont)
    for part in (layout.title.font, layout.legend.font, *(a.font for a in layout.annotations)):
        grow(part)
    if layout.uniformtext.minsize is not None:
        layout.uniformtext.minsize = PRESENT_TEXT_PX
    margin = layout.margin
    for side in ("l", "r", "t", "b"):
        if margin[side] is not None:
            margin[side] = round(margin[side] * scale)
    if layout.height is not None:
        layout.height = round(layout.height * (1 + (scale - 1) / 2))


def chart(fig, *, key: str | None = None, **kwargs):
    """Render a figure with the app's own theme and config (see the module docstring); log axes label
    decades only, and in presenter mode (``present=1``) every text is projector size."""
    _log_axes_decades(fig)
    if presenting():
        _projector(fig)
    return st.plotly_chart(fig, config=PLOTLY_CONFIG, theme=None, key=key, **kwargs)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_ticks(lo_exp: int, hi_exp: int, most: int = 6) -> dict:
    """Ticks for a log axis spanning 10^lo_exp … 10^hi_exp: at most ``most`` labelled decades, written
    10⁻⁴ in the tick font itself (plotly's exponentformat "power" draws the exponent as a smaller
    superscript, and one label per decade piles up on a short axis)."""
    every = max(1, -(-(hi_exp - lo_exp) // (most - 1)))
    exps = [e for e in range(lo_exp, hi_exp + 1) if e % every == 0]  # 1 = 10⁰ is always one of them
    return {
        "tickvals": [10.0**e for e in exps],
        "ticktext": ["1" if e == 0 else "10" if e == 1 else f"10{str(e).translate(_SUPERSCRIPT)}" for e in exps],
    }


def log_ticks(lo_exp: int, hi_exp: int) -> dict:
    """Colour-bar ticks for a log10-valued heatmap, labelled with the real values."""
    values = list(range(lo_exp, hi_exp + 1))
    return {"tickvals": values, "ticktext": [f"{10.0**v:g}" for v in values]}


def key_title(text: str) -> dict:
    """A colour key's title: small, top left of the figure (the KL landscape's and the optimizer's keys)."""
    return {"text": text, "font": {"size": 14}, "xref": "paper", "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"}


def key_bar(lo: int, hi: int, colorscale, **style) -> list[dict]:
    """A colour key's bar (log10 values from ``lo`` to ``hi`` as one row of a heatmap) and the two
    axes that show it with the real values on the ticks: ``(trace, xaxis, yaxis)``."""
    steps = np.linspace(lo, hi, 141)
    bar = {
        "type": "heatmap",
        "z": steps[None, :],
        "x0": lo,
        "dx": steps[1] - steps[0],
        "y0": 0,
        "dy": 1,
        "colorscale": colorscale,
        **style,
        "zmin": lo,
        "zmax": hi,
        "showscale": False,
        "hoverinfo": "skip",
    }
    xaxis = {**log_ticks(lo, hi), "range": [lo - 0.03, hi + 0.03], "fixedrange": True}
    return [bar, xaxis, {"visible": False, "fixedrange": True}]


# A legend entry with no data: a trace that only names a marker in a key's legend.
LEGEND_ONLY = {"type": "scatter", "x": [None], "y": [None], "hoverinfo": "skip"}

# A colour key's legend: one entry a row, pinned to the figure's bottom edge in a margin of its own (a
# wrapping legend under a short bar ran over its tick labels and out of the figure on a projector).
KEY_LEGEND = {
    "orientation": "v",
    "x": 0,
    "xref": "paper",
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
    "itemclick": False,
    "itemdoubleclick": False,
    "tracegroupgap": 0,
}
