"""A fixed chart drawn by the live layer (static/live/chart.js): panels of lines, bands and reference
lines whose numbers the server computed, sent as base64 float64, with an HTML legend and notes.

It stands in for a Plotly figure that a release rebuilt although only a few numbers changed: Plotly
costs ~5–12 ms of server CPU to serialise such a figure and 100–600 ms of plotly.js to redraw it
(docs/benchmarks.md, issue 24); the canvas draws the same picture in a millisecond or two. What it
does not do is Plotly's hover and zoom. The spec builders below are pure (tests/test_live_charts.py
checks them without a browser); :func:`chart_view` mounts one.
"""

from __future__ import annotations

import numpy as np

from ui.live import mount, pack_float64, register

_VIEW = register("chart")
TEXT = "text"  # the theme's text colour (black on light, light on dark), for reference lines


def runs_line(n, rows, colour: str, width: float = 1, dash: str | None = None) -> dict:
    """Many runs as one polyline: rows (runs, K) at x = n (K,), sent once each (the browser breaks
    the line between runs, as a NaN-gapped Plotly trace did, without a copy of n per run)."""
    rows = np.asarray(rows, dtype=float)
    return {**line(n, rows, colour, width, dash), "rows": int(rows.shape[0])}


def line(x, y, colour: str, width: float = 2, dash: str | None = None) -> dict:
    """A polyline (NaN breaks it); dash: None, "dash" or "dot"."""
    return {"kind": "line", "x": pack_float64(x), "y": pack_float64(y), "color": colour, "width": width, "dash": dash}


def band(x, lo, hi, colour: str, alpha: float) -> dict:
    """The area between two curves."""
    return {
        "kind": "band",
        "x": pack_float64(x),
        "y0": pack_float64(lo),
        "y": pack_float64(hi),
        "color": colour,
        "alpha": alpha,
    }


def steps(edges, heights, colour: str, fill: str | None = None, width: float = 1) -> dict:
    """A histogram as one step outline over its n + 1 bin ``edges`` (n ``heights``), filled to zero
    with ``fill`` (plotly's line shape "hv" with fill "tozeroy")."""
    return {
        "kind": "steps",
        "x": pack_float64(edges),
        "y": pack_float64(heights),
        "color": colour,
        "fill": fill,
        "width": width,
    }


def bars(x, top, colour: str, width: float = 0.8, base=None) -> dict:
    """Vertical bars centred at ``x``, ``width`` data units wide, from ``base`` (0 if None) to ``top``."""
    return {
        "kind": "bars",
        "x": pack_float64(x),
        "y": pack_float64(top),
        "y0": None if base is None else pack_float64(base),
        "color": colour,
        "width": float(width),
    }


def gradient(lo: float, hi: float, stops) -> dict:
    """A colour scale across x from ``lo`` to ``hi`` over the panel's height: ``stops`` are
    [position in 0…1, CSS colour] pairs (a colour key's bar)."""
    return {"kind": "gradient", "lo": float(lo), "hi": float(hi), "stops": [[float(a), str(c)] for a, c in stops]}


def hline(y: float, colour: str, width: float = 1.5, dash: str | None = None) -> dict:
    return {"kind": "hline", "y": float(y), "color": colour, "width": width, "dash": dash}


def vline(x: float, colour: str, width: float = 1.5, dash: str | None = None) -> dict:
    return {"kind": "vline", "x": float(x), "color": colour, "width": width, "dash": dash}


def hband(y0: float, y1: float, colour: str, alpha: float) -> dict:
    """A horizontal strip across the panel, under the data."""
    return {"kind": "hband", "y0": float(y0), "y1": float(y1), "color": colour, "alpha": alpha}


def item(
    label: str, colour: str, width: float = 2, dash: str | None = None, kind: str = "line", alpha=None, **more
) -> dict:
    """A legend entry (HTML): a line swatch; kind "fill" (a box, ``line`` its outline colour); kind
    "marker" (``symbol`` "star" or "x", ``line`` its outline colour)."""
    return {"label": label, "color": colour, "width": width, "dash": dash, "kind": kind, "alpha": alpha, **more}


def axis(
    title: str | None = None,
    log: bool = False,
    span=None,
    ticks=None,
    hidden: bool = False,
    zero: bool = False,
    grid: bool = True,
) -> dict:
    """An axis: its title, log10 or linear, a fixed range (else the data's extent; ``zero``: the
    extent holds 0 and y = 0 is drawn), ``ticks`` as [value, label] pairs (else automatic), or
    ``hidden`` (no ticks, no grid); ``grid=False``: no grid lines across it (an x axis)."""
    out = {"title": title, "log": log, "range": None if span is None else [float(v) for v in span]}
    if ticks is not None:
        out["ticks"] = [[float(v), str(label)] for v, label in ticks]
    if hidden:
        out["hidden"] = True
    if zero:
        out["zero"] = True
    if not grid:
        out["grid"] = False
    return out


def panel(x: dict, y: dict, traces: list[dict], shapes=(), notes=(), title=None, domain=(0.0, 1.0)) -> dict:
    """One panel: its axes, traces (drawn in order), shapes and notes ({"text", "corner"}), across
    ``domain`` of the plot's width."""
    return {
        "x": x,
        "y": y,
        "traces": traces,
        "shapes": list(shapes),
        "notes": list(notes),
        "title": title,
        "domain": list(domain),
    }


def spec(name: str, height: int, margin: dict, panels: list[dict], legend: list[dict], **options) -> dict:
    """The whole chart: canvas height (CSS px), margins around the panels (l, r, t, b), the legend
    (``legend_at`` "top" or "bottom", ``legend_columns`` 1 or 2) and an ``aria`` label."""
    return {"name": name, "height": height, "margin": margin, "panels": panels, "legend": legend, **options}


def chart_view(state, key: str, chart: dict) -> None:
    """Mount ``chart`` (a :func:`spec`) at this place of the page; it reports nothing."""
    mount(_VIEW, state.key(key), chart, _no_release)


def _no_release() -> None:
    """A chart only shows."""
