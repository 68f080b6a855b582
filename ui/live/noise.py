"""Live view of the diffusion page's "Noise your own digit": drag t and the digit fades into noise at
frame rate (static/live/noise.js; ᾱ_t in static/live/noise_math.js, held equal to vae_core.diffusion).
The view receives x₀ (784 characters 0/1) and one seeded ε (base64 float64, ≈ 8 KB) per rerun of the
noise section; everything else is computed in the browser. A release reports t once."""

from __future__ import annotations

import numpy as np

from ui.i18n import t
from ui.live import pack_float64, register, state_view

_VIEW = register("noise")


def noise_view(
    state, bits: np.ndarray, eps: np.ndarray, T: int, kind: str, label: int, caption: str | None = None
) -> int:
    """Mount the live view for the page's ``t`` → the settled t (``caption``: the digit's, with {t})."""
    text = {
        "t": t("diffusion.t"),
        "ab_label": "ᾱ_t",
        "snr_label": t("diffusion.snr_metric"),
        "hist_pixels": t("diffusion.hist_pixels"),
        "hist_law": t("diffusion.hist_law"),
        "hist_axis": t("diffusion.hist_axis"),
        "xt_caption": caption or t("diffusion.xt_caption", t="{t}", label=label),
        "chart_aria": t("diffusion.chart_aria"),
    }
    data = {
        "text": text,
        "bits": "".join("1" if b else "0" for b in np.asarray(bits).ravel()),
        "eps": pack_float64(eps),
        "T": int(T),
        "kind": kind,
    }
    return int(state_view(_VIEW, state, ("t",), data, key="live_noise")["t"])
