"""The diffusion page's URL parameters (:data:`STATE`) and what is not layout: the schedule, the
reverse chain, the ledger rows, the T = 1 bridge to the ELBO page's toy model, and the digit noising
with its Monte Carlo check. views/diffusion.py lays the page out; the math is in vae_core/diffusion.py."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import streamlit as st

from ui.state import ChoiceParam, FloatParam, IntParam, UrlState
from vae_core import diffusion as d
from vae_core import toy_model
from vae_core.data import DigitsFileError  # noqa: F401  (the page catches it)

T_OPTIONS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
DIGIT_T = 1000  # the digits are noised on Ho et al.'s T = 1000 schedule
N_HOLDOUT = 500
DRAW_STARTS = ("noise", "digit")
STATE = UrlState(
    "diffusion",
    ChoiceParam("T", 10, T_OPTIONS),
    ChoiceParam("sched", "linear", d.SCHEDULES),
    FloatParam("m", 0.0, -3.0, 3.0, 0.01),  # the data N(m, s²)
    FloatParam("s", 1.0, 0.1, 3.0, 0.01),
    FloatParam("x0", 1.5, -4.0, 4.0, 0.01),  # the observed x₀
    FloatParam("mh", 0.5, -3.0, 3.0, 0.01),  # the reverse chain denoises as if the data were N(m̂, ŝ²)
    FloatParam("sh", 1.5, 0.1, 3.0, 0.01),
    ChoiceParam("var", "beta", d.VARIANCES),
    ChoiceParam("prior", "standard", d.PRIORS),
    ChoiceParam("n", 1000, (100, 1000, 4000)),
    IntParam("seed", 0, 0, 2**31 - 1),
    IntParam("digit", 0, 0, N_HOLDOUT - 1),
    IntParam("t", 100, 0, DIGIT_T),
    ChoiceParam("nsched", "linear", d.SCHEDULES),
    IntParam("nseed", 0, 0, 2**31 - 1),
    IntParam("dseed", 0, 0, 2**31 - 1),  # "watch it draw": the browser's seeded draws (static/live/ddpm_model.js)
    ChoiceParam("dstart", "noise", DRAW_STARTS),  # from x_T ~ N(0, I), or from the noise view's x_t
)


def fit(state) -> None:
    """ "Fit": the argmax of the expected ELBO (vae_core.diffusion.fit_reverse) — m̂ = m, ŝ = s,
    optimal variances, the fitted prior N(M_T, S_T)."""
    state.set("mh", state.value("m"))
    state.set("sh", state.value("s"))
    state.set("var", "optimal")
    state.set("prior", "exact")


@st.cache_data(max_entries=8, show_spinner=False)
def schedule(T: int, kind: str) -> d.Schedule:
    return d.make_schedule(int(T), kind)


def reverse(T: int, kind: str, mh: float, sh: float, variance: str, prior: str) -> d.Reverse:
    return d.gaussian_reverse(schedule(T, kind), mh, sh, variance, prior)


class Numbers(NamedTuple):
    log_evidence: float
    elbo: float
    gap: float
    reconstruction: float
    prior_matching: float
    denoising: np.ndarray  # (T−1,), t = 2…T
    expected_elbo: float  # averaged over the data N(m, s²)
    best_expected: float  # −½ log(2πe s²): what the fit reaches


@st.cache_data(max_entries=64, show_spinner=False)
def numbers(T, kind, m, s, x0, mh, sh, variance, prior) -> Numbers:
    sched = schedule(T, kind)
    rev = reverse(T, kind, mh, sh, variance, prior)
    led = d.ledger(x0, sched, rev)
    exp = d.expected_ledger(m, s, sched, rev)
    return Numbers(
        float(led.log_evidence),
        float(led.elbo),
        float(led.gap),
        float(led.reconstruction),
        float(led.prior_matching),
        np.asarray(led.denoising, float),
        float(exp.elbo),
        -0.5 * math.log(2 * math.pi * math.e * s * s),
    )


@st.cache_data(max_entries=16, show_spinner=False)
def check(T, kind, x0, mh, sh, variance, prior, n, seed) -> d.PathEstimates:
    """The ELBO and log p(x₀) again, from n seeded forward paths (no closed form)."""
    return d.path_estimates(x0, schedule(T, kind), reverse(T, kind, mh, sh, variance, prior), n, seed)


# --- T = 1: the ELBO page's toy model ------------------------------------------------------------
BRIDGE_BETA = 0.36  # q(x₁|x₀) = N(0.8 x₀, 0.6²): numbers that stay on the ELBO page's 0.01 grid
BRIDGE = toy_model.Toy()  # the ELBO page's defaults: x, w, noise


def bridge() -> dict[str, float | str]:
    """T = 1 with p(x₁) = N(0, 1), p_θ(x₀|x₁) = N(w x₁, noise²), q(x₁|x₀) = N(√(1−β) x₀, β): the
    diffusion ledger and the toy model's ledger, computed by the two libraries; the ELBO page's link."""
    x, w, noise = BRIDGE.x, BRIDGE.w, BRIDGE.noise
    qmu, qsigma = math.sqrt(1 - BRIDGE_BETA) * x, math.sqrt(BRIDGE_BETA)
    led = d.ledger(
        x,
        d.Schedule(np.array([BRIDGE_BETA])),
        d.Reverse(np.array([w]), np.array([0.0]), np.array([noise**2]), 0.0, 1.0),
    )
    return {
        "x": x,
        "w": w,
        "noise": noise,
        "qmu": qmu,
        "qsigma": qsigma,
        "diff_log_p": float(led.log_evidence),
        "diff_elbo": float(led.elbo),
        "diff_gap": float(led.gap),
        "diff_recon": float(led.reconstruction),
        "diff_prior": float(led.prior_matching),
        "toy_log_p": float(toy_model.log_evidence(x, w, noise)),
        "toy_elbo": float(toy_model.elbo(x, w, noise, qmu, qsigma)),
        "toy_gap": float(toy_model.posterior_kl(x, w, noise, qmu, qsigma)),
        "link": f"elbo?x={x:.2f}&w={w:.2f}&noise={noise:.2f}&qmu={qmu:.2f}&qsigma={qsigma:.2f}",
    }


# --- noising a digit -----------------------------------------------------------------------------
def signed(bits: np.ndarray) -> np.ndarray:
    """Binary pixels {0, 1} → x₀ ∈ {−1, +1} (the DDPM's data, vae_core.ddpm)."""
    return 2.0 * np.asarray(bits, float) - 1.0


def noise(shape, seed: int) -> np.ndarray:
    """The one seeded ε the digit is noised with (the live view receives exactly these numbers)."""
    return np.random.default_rng(seed).standard_normal(shape)


def noised(x0: np.ndarray, sched: d.Schedule, t: int, seed: int) -> np.ndarray:
    """x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε with one seeded ε (Ho eq. 4): the same ε for every t."""
    eps = noise(x0.shape, seed)
    return math.sqrt(sched.alpha_bar[t]) * x0 + math.sqrt(sched.one_minus_alpha_bar[t]) * eps


def to_unit(x: np.ndarray) -> np.ndarray:
    """x ∈ ℝ shown as grey: −1 → white, +1 → black (ink), clipped."""
    return np.clip((1.0 - np.asarray(x, float)) / 2.0, 0.0, 1.0)


class MomentCheck(NamedTuple):
    x0: float
    mean: float  # closed form √ᾱ_t x₀
    var: float  # closed form 1 − ᾱ_t
    jump: tuple[float, float, float, float]  # mean, s.e., var, s.e.
    walk: tuple[float, float, float, float]


def moments(x: np.ndarray) -> tuple[float, float, float, float]:
    """Sample mean and variance, each ± one standard error (var's s.e. from the fourth central moment)."""
    n = len(x)
    mean, var = float(x.mean()), float(x.var(ddof=1))
    m4 = float(((x - mean) ** 4).mean())
    return mean, math.sqrt(var / n), var, math.sqrt(max(m4 - var**2, 0.0) / n)


@st.cache_data(max_entries=16, show_spinner=False)
def jump_vs_walk(kind: str, t: int, n: int, seed: int) -> list[MomentCheck]:
    """For an ink pixel (x₀ = +1) and a background pixel (x₀ = −1): n draws of x_t by the closed form
    and n by walking t steps of q(x_s|x_{s−1}), with different seeded draws."""
    sched = schedule(DIGIT_T, kind)
    rows = []
    for x0 in (1.0, -1.0):
        jump = d.sample_jump(sched, x0, t, n, seed) if t > 0 else np.full(n, x0)
        walk = d.sample_walk(sched, x0, t, n, seed + 1) if t > 0 else np.full(n, x0)
        rows.append(
            MomentCheck(
                x0,
                math.sqrt(sched.alpha_bar[t]) * x0,
                float(sched.one_minus_alpha_bar[t]),
                moments(jump),
                moments(walk),
            )
        )
    return rows


NOISE_CHECK_N = 4000


def holdout_digits():
    """The fixed binary holdout digits and labels (ui.model.holdout: cached, no model needed)."""
    from ui.model import holdout

    return holdout()


@st.cache_data(max_entries=1, show_spinner=False)
def ddpm_card() -> dict | None:
    """The shipped DDPM's model card (assets/ddpm/model_card.json; plain JSON, no torch), or None."""
    import json

    from vae_core.data import ASSETS_DIR

    try:
        return json.loads((ASSETS_DIR / "ddpm" / "model_card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- a digit drawn on /draw: the noise view's `draw=` ----------------------------------------------
DRAW_PARAM = "draw"  # the drawing page's own parameter and format (vae_core.preprocess.pack)


def drawn_digit() -> tuple[np.ndarray | None, bool]:
    """(the bits of the URL's ``draw=`` drawing, or None; whether a ``draw=`` was there but is not a
    drawing). A valid one stays in the URL (app.py drops parameters no page wrote)."""
    from ui.state import note_written
    from vae_core.preprocess import DrawFormatError, unpack

    raw = st.query_params.get(DRAW_PARAM)
    if raw is None:
        return None, False
    try:
        bits = unpack(raw.strip())
    except DrawFormatError:
        return None, True
    note_written(DRAW_PARAM)
    return bits, False


def forget_drawing() -> None:
    """Back to the holdout digits (the button's callback)."""
    st.query_params.pop(DRAW_PARAM, None)


def noise_link(packed: str) -> str:
    """/diffusion's noise view for a drawing: the link /draw shows under its pad (like the page's other
    links, it leaves the language to the browser's)."""
    return f"diffusion?{DRAW_PARAM}={packed}&section=noise"
