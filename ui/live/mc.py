"""Live view of the Monte Carlo page: a play button grows n from 1 to the chosen L and a scrubber
moves n back and forth, revealing every run's running estimate Q_n, run 1's ±2 s.e. band, the
exact ±2σ/√n funnel, the errors against σ/√n and the histogram of the runs' standardized
estimates, at frame rate (static/live/mc.js).

The server samples once (vae_core.monte_carlo, seeded, exactly as the page's chart) and sends the
running estimates at the page's log-spaced checkpoints as base64 float64, so the browser reveals
the very numbers the server computed: at n = L they are today's Q_L and s.e. bit for bit.
"""

from __future__ import annotations

import numpy as np

from ui.figures_monte_carlo import RUN1_DARK, RUNS_GREY, y_range
from ui.i18n import count, t
from ui.live import pack_float64, register, state_view
from vae_core.monte_carlo import Convergence

_VIEW = register("mc")
_TEXT_KEYS = (
    "play",
    "pause",
    "scrubber",
    "chart_aria",
    "running_title",
    "error_title",
    "hist_title",
    "hist_axis",
    "readout_estimate",
    "readout_se",
    "readout_rms",
    "clt",
    "runs_at",
    "sd_zero",
)


def mc_view(state, conv: Convergence, symbol: str) -> int:
    """Mount the live view for the running estimates ``conv`` (the page's cached convergence) →
    the n shown (≤ L): the URL parameter ``n``, set when a drag of the scrubber or a play ends."""
    text = {key: t(f"live_vae.mc_{key}") for key in _TEXT_KEYS}
    text |= {
        "band_exact": t("monte_carlo.band_exact"),
        "band_run": t("monte_carlo.band_run"),
        "run_first": t("monte_carlo.run_first"),
        "run_others": t("monte_carlo.run_others"),
        "axis_n": t("monte_carlo.axis_n"),
        "err_runs": t("monte_carlo.err_runs"),
        "reference": t("monte_carlo.reference"),
        "exact_line": t("monte_carlo.exact_line", value="{value}"),
        "symbol": symbol,
        "thousands": count(1000)[1:-3],
    }  # "," or "": the separator of ui.i18n.count, for the view's counts
    n = conv.n.astype(np.int64)
    data = {
        "text": text,
        "n": n.tolist(),
        "runs": int(conv.mean.shape[0]),
        "mean": pack_float64(conv.mean),
        "se": pack_float64(conv.se[0]),
        "exact": conv.exact,
        "sd": conv.sd,
        "yrange": y_range(conv.mean, conv.n, conv.exact, conv.sd),
        "colours": {"run1": RUN1_DARK, "runs": RUNS_GREY},
    }
    values = state_view(_VIEW, state, ("n",), data)
    return min(int(values["n"]), int(n[-1]))
