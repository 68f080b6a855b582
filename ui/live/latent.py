"""Live views of the latent explorer (static/live/latent.js): the latent pad, where dragging the star
decodes z in the browser at every frame (static/live/model.js, held equal to the torch decoder) and
shows log p(z) (static/live/math.js, held equal to vae_core.latent.log_prior_density); and the
interpolation between two holdout digits, played as an animation in the browser.

The pad reports once per gesture: the released z (and, after a click on a dot, that digit's index),
so one rerun updates the URL and the server-side views. The path view never reports. What a rerun
sends is this ``data`` dict (indices, a box, translated strings): the weights and the holdout codes
are static files the browser fetches once per visit.
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import t
from ui.live import mount, register, state_view

NAMES = ("z1", "z2")
_VIEW = register("latent")
_PAD_TEXT = (
    "pad_aria",
    "z1",
    "z2",
    "z1_aria",
    "z2_aria",
    "z_label",
    "logp_label",
    "digit_aria",
    "loading",
    "load_error",
)
_PATH_TEXT = (
    "path_aria",
    "speed",
    "speed_aria",
    "t_aria",
    "start_frame",
    "end_frame",
    "path_caption",
    "play",
    "pause",
    "play_aria",
    "pause_aria",
    "reduced_note",
    "z_label",
    "digit_aria",
    "loading",
    "load_error",
)


def _text(keys, **fields) -> dict:
    """The view's strings; ``{error}`` stays a placeholder the browser fills in."""
    return {key: t(f"live_latent.{key}", error="{error}", **fields) for key in keys}


def latent_pad(state, *, idx: int, start: int, end: int, box, clicked_key: str) -> tuple[float, float]:
    """Mount the latent pad for the page's URL state → the settled (z₁, z₂).

    ``idx`` (the ledger's digit: its q rings), ``start``/``end`` (the interpolation path) and ``box``
    (the ledger's zoom window, ((cx, cy), half)) are drawn on the map. A click on a holdout dot
    puts its index in ``st.session_state[clicked_key]``; any other gesture clears it."""
    holdout_size = state.params["idx"].hi + 1

    def on_click(got: dict) -> None:
        clicked = got.get("clicked")
        valid = isinstance(clicked, int | float) and 0 <= clicked < holdout_size and clicked == int(clicked)
        st.session_state[clicked_key] = int(clicked) if valid else None

    (cx, cy), half = box
    data = {
        "mode": "pad",
        "marks": {
            "idx": idx,
            "from": start,
            "to": end,
            "box": [[round(float(cx), 4), round(float(cy), 4)], round(float(half), 4)],
        },
        "text": {
            **_text(_PAD_TEXT),
            "decoded_caption": t("latent.decoded_caption"),
            "nearest": t("live_latent.nearest", idx="{idx}", label="{label}", dist="{dist}"),
        },
    }
    values = state_view(_VIEW, state, NAMES, data, also=on_click)
    return tuple(values[name] for name in NAMES)


def latent_path(state, start: int, end: int) -> None:
    """Mount the interpolation from holdout digit ``start`` to ``end`` (plays in the browser only)."""
    data = {"mode": "path", "path": {"from": start, "to": end}, "text": _text(_PATH_TEXT, start=start, end=end)}
    mount(_VIEW, state.key("live_path"), data, lambda: None)
