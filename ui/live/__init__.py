"""The client-side layer: live views whose hot loop runs in the browser (design.md, "Live views").

Streamlit 1.67's sliders report on release only, so a server-drawn chart cannot move during a
drag. A live view is an ``st.components.v2`` component whose JavaScript draws every frame in the
browser and reports to Python **once per gesture** (pointer release, key-up, stroke end) with
``setStateValue``; that one rerun updates the URL and the server-side views.

Where the code lives:
- ``static/live/*.js`` — plain ES modules, no build step: ``plot.js`` (the canvas) beside one module
  per concern (``format.js``, ``text.js``, ``theme.js``, ``presenter.js``, ``instrument.js``,
  ``mount.js``), the skeletons ``slider_view.js`` and ``player.js``, ``controls.js`` (live sliders),
  ``math.js`` (closed forms, mirrored from vae_core and held equal by the parity tests), and one
  module per view (docs/live_views.md lists them). Streamlit serves ``static/`` at ``app/static/``
  (``server.enableStaticServing``), so a browser fetches each module once per visit and keeps it;
  a rerun sends only the view's small ``data`` dict and a loader of a few hundred bytes.
- ``ui/live/<view>.py`` — one Python wrapper per view: it registers the component once, at import,
  and turns page state into the ``data`` the JS draws from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, POSTERIOR_GREEN, PRIOR_GREY, Q_ORANGE

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
LIVE_DIR = STATIC_DIR / "live"
PALETTE = {
    "p": P_BLUE,
    "q": Q_ORANGE,
    "posterior": POSTERIOR_GREEN,
    "gap": GAP_RED,
    "neg": NEG_PURPLE,
    "prior": PRIOR_GREY,
}

# The module is imported relative to the page's own URL, so the app also works under a
# server.baseUrlPath (every page's url_path is a single segment). The version query string changes
# whenever any live module does, so a browser never runs a stale copy after an update.
_LOADER = """export default async function (component) {{
  const url = new URL("app/static/live/{module}.js?v={version}", window.location.href);
  const view = await import(url.href);
  return view.mount(component);
}}
"""


@cache
def static_version() -> str:
    """A short hash of everything under static/live/: the cache-busting version of the JS modules."""
    digest = hashlib.sha256()
    for path in sorted(LIVE_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(LIVE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def register(module: str) -> Callable[..., Any]:
    """Register the live view ``static/live/<module>.js`` once (call at import) → its mount function."""
    if not (LIVE_DIR / f"{module}.js").is_file():
        raise FileNotFoundError(f"live view module static/live/{module}.js is missing")
    return st.components.v2.component(f"live_{module}", js=_LOADER.format(module=module, version=static_version()))


def mount(component: Callable[..., Any], key: str, data: dict, on_release: Callable[[], None]) -> Any:
    """Mount a registered live view; ``on_release`` runs (before the rerun) when the browser reports
    a finished gesture, whose values are then in ``st.session_state[key]["release"]``.

    The data travels wrapped in a one-item list (mount.js ``viewData`` unwraps it): Streamlit scans a
    dict's values for dataframes, and that check imports pandas (~37 MiB of server RSS); a list is
    sent as plain JSON."""
    return component(key=key, data=[{"palette": PALETTE, **data}], on_release_change=on_release)


def released(key: str) -> dict:
    """The values the browser reported with its last finished gesture (empty before the first)."""
    state = st.session_state.get(key) or {}
    return dict(state.get("release") or {})


def state_view(
    component: Callable[..., Any],
    state,
    names: tuple[str, ...],
    data: dict,
    key: str = "live",
    also: Callable[[dict], None] | None = None,
) -> dict:
    """Mount a live view whose controls are the URL-state parameters ``names`` of a page's
    :class:`ui.state.UrlState`: the browser starts from their values and ranges, a finished gesture
    writes them back (parsed like a URL value, so nothing the browser sends can break the page),
    and the URL follows. Returns the current values. ``key`` (prefixed by the page) tells apart
    several live views on one page; ``also`` receives everything a gesture reported, for values
    that are not URL parameters (the latent pad's clicked digit)."""
    key = state.key(key)

    def on_release() -> None:
        got = released(key)
        for name, raw in got.items():
            if name in names:
                state.set(name, state.params[name].parse(str(raw))[0])
        if also is not None:
            also(got)

    ranges = {
        name: {"lo": state.params[name].lo, "hi": state.params[name].hi, "step": getattr(state.params[name], "step", 1)}
        for name in names
    }
    values = {name: state.value(name) for name in names}
    mount(component, key, {"values": values, "ranges": ranges, **data}, on_release)
    for name in names:
        state.write(name, values[name])
    return values


def pack_float64(values) -> str:
    """float64 values, C order, little-endian, as base64: what static/live/mount.js ``decodeFloat64``
    reads (arrays a view gets once per rerun, e.g. the Monte Carlo runs, a digit's noise)."""
    import base64

    import numpy as np

    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")
