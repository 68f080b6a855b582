"""Live view of the drawing page: the pad, and while you draw, the preprocessed digit, q's mean
and 2σ ellipse on the latent map and the reconstruction at μ — all in the browser
(static/live/draw.js with preprocess.js, model.js, latent_map.js). A finished stroke sends the
28 × 28 binary digit once; it becomes the page's `draw=` value."""

from __future__ import annotations

from ui.i18n import t
from ui.live import mount, register, released

_VIEW = register("draw")
_TEXT_KEYS = (
    "pad_aria",
    "pad_help",
    "undo",
    "clear",
    "undo_aria",
    "clear_aria",
    "empty",
    "grey_label",
    "binary_label",
    "recon_label",
    "map_aria",
    "legend_q",
    "legend_trail",
    "legend_prior",
    "loading",
    "model_failed",
    "drawing",
    "settled",
    "inset",
)


def draw_view(state, settled_q=None) -> str:
    """Mount the pad for the page's URL state (its `draw` parameter) → the current packed digit.
    ``settled_q(packed)`` → the server's q for that digit (``ui.draw_data.digit_q``): the pad shows
    it whenever that digit is on the pad, so its readouts at rest are the ledger's numbers."""
    key = state.key("live")

    def on_release() -> None:
        raw = str(released(key).get("draw", ""))
        value, problem = state.params["draw"].parse(raw)
        if problem is None:  # the browser never sends an empty pad; anything else is ignored
            state.set("draw", value)

    text = {name: t(f"draw.{name}", zoom="{zoom}") for name in _TEXT_KEYS}
    packed = state.value("draw")
    starter = packed == state.params["draw"].default
    q = settled_q(packed) if settled_q else None
    mount(_VIEW, key, {"image": packed, "starter": starter, "text": text, "q": q}, on_release)
    state.write("draw", packed)
    return packed
