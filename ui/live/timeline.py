"""Live view of the /training page: the shipped run's 25 snapshots, scrubbed in the browser
(static/live/timeline.js). The arrays come once per visit from static/training/ (written by
``python scripts/export_browser.py --timeline``); a rerun sends only the epoch and the text.
On release the browser reports the epoch once; it is parsed like a URL value (snapped to a
snapshot), so nothing the browser sends can break the page."""

from __future__ import annotations

from ui.i18n import t
from ui.live import mount, register, released

_VIEW = register("timeline")
_TEXT_KEYS = (
    "epoch",
    "epoch_aria",
    "play",
    "pause",
    "map_title",
    "manifold_title",
    "manifold_axes",
    "curves_title",
    "kl_title",
    "epoch_axis",
    "recon",
    "recon_readout",
    "train",
    "holdout",
    "off_scale",
    "loading",
)


def timeline_view(state) -> int:
    """Mount the live timeline for the page's URL state → the settled epoch (a snapshot's)."""
    key = state.key("live")

    def on_release() -> None:
        raw = released(key).get("epoch")
        if raw is not None:
            state.set("epoch", state.params["epoch"].parse(str(raw))[0])

    text = {k: t(f"training.tl_{k}", epoch="{epoch}", elbo="{elbo}") for k in _TEXT_KEYS}
    text["chart_aria"] = t("live.timeline_chart_aria")
    epoch = state.value("epoch")
    mount(_VIEW, key, {"epoch": epoch, "text": text}, on_release)
    state.write("epoch", epoch)
    return epoch
