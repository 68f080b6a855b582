"""Live view of the diffusion page's "Watch it draw": the shipped DDPM's reverse chain runs in the browser
(static/live/ddpm.js, the network in static/live/ddpm_model.js, its int8 weights in static/ddpm/, fetched
on the first play). Per rerun the view receives the seed, the start ("noise": x_T ~ N(0, I); "digit": the
noise view's digit noised to its t with its ε, ≈ 9 KB) and the texts. A new seed or start reports once."""

from __future__ import annotations

import numpy as np

from ui.i18n import t
from ui.live import mount, pack_float64, register, released

_VIEW = register("ddpm")
NAMES = ("dseed", "dstart")


def ddpm_view(state, bits: np.ndarray, eps: np.ndarray, t_from: int) -> dict:
    """Mount the view for the page's ``dseed`` and ``dstart`` → their current values."""
    key = state.key("live_ddpm")

    def on_release() -> None:
        for name, raw in released(key).items():
            if name in NAMES:
                state.set(name, state.params[name].parse(str(raw))[0])

    values = {name: state.value(name) for name in NAMES}
    text = {
        "play": t("diffusion.draw_play"),
        "pause": t("diffusion.draw_pause"),
        "new_seed": t("diffusion.draw_new_seed"),
        "from_noise": t("diffusion.draw_from_noise"),
        "from_digit": t("diffusion.draw_from_digit", t="{t}"),
        "t": t("diffusion.draw_t"),
        "t_aria": t("diffusion.draw_t_aria"),
        "seed": t("common.seed"),
        "xt_caption": t("diffusion.draw_xt", t="{t}"),
        "x0_caption": t("diffusion.draw_x0"),
        "digit_caption": t("diffusion.draw_digit"),
        "loading": t("diffusion.draw_loading"),
        "press_play": t("diffusion.draw_press_play"),
        "exact": t("diffusion.draw_exact", steps="{steps}", ms="{ms}"),
        "done": t("diffusion.draw_done", steps="{steps}", ms="{ms}"),
        "chart_aria": t("diffusion.draw_aria"),
    }
    data = {
        "text": text,
        "seed": int(values["dseed"]),
        "start": values["dstart"],
        "bits": "".join("1" if b else "0" for b in np.asarray(bits).ravel()),
        "eps": pack_float64(eps),
        "t_from": int(t_from),
    }
    mount(_VIEW, key, data, on_release)
    for name in NAMES:
        state.write(name, values[name])
    return values
