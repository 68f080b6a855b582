"""The latent explorer's URL parameters (:data:`STATE`, also used by the lesson) and its data side:
cached model computations, images as PNG, callbacks and the tables the page prints
(views/latent.py lays them out).

The model is one shared object (``st.cache_resource``); every cached function takes it as
``_model`` and :func:`ui.model.model_key` as ``key``.
"""

from __future__ import annotations

import io
import math

import numpy as np
import streamlit as st
from PIL import Image

from ui.components import metric_note, num
from ui.figures_latent import CURRENT, SWEEP_KS, SWEEP_REPEATS, Z_LIM
from ui.i18n import t
from ui.images import mosaic
from ui.model import holdout
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState
from vae_core import latent
from vae_core.data import HOLDOUT_PER_CLASS, N_CLASSES

HOLDOUT_SIZE = HOLDOUT_PER_CLASS * N_CLASSES  # 500; sorted by class, 50 per digit
STATE = UrlState(
    "latent",
    FloatParam("z1", 0.0, -Z_LIM, Z_LIM, 0.01),
    FloatParam("z2", 0.0, -Z_LIM, Z_LIM, 0.01),
    IntParam("draw", 0, 0, 2**31 - 1),
    IntParam("n", 15, 5, 30),
    IntParam("from", 167, 0, HOLDOUT_SIZE - 1),
    IntParam("to", 363, 0, HOLDOUT_SIZE - 1),
    IntParam("idx", 118, 0, HOLDOUT_SIZE - 1),  # a 2 whose q sits beside its posterior
    ChoiceParam("L", 100, (1, 10, 100, 1000)),
    ChoiceParam("k", 5000, (1, 10, 100, 1000, 5000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
CLICKED_KEY = "latent_clicked"  # the holdout digit last clicked on the latent pad (or None)


# --- cached data and model computations -----------------------------------------------------------
@st.cache_data(max_entries=2, show_spinner=False)
def codes(_model, key):
    return latent.encode(_model, holdout()[0])


@st.cache_data(max_entries=8, show_spinner=False)
def manifold_images(_model, key, n: int):
    return latent.manifold(_model, n)


@st.cache_data(max_entries=64, show_spinner=False)
def manifold_png(_model, key, n: int, row: int, col: int) -> bytes:
    """The manifold mosaic (ink white on black, as MNIST) with cell (row, col) framed in yellow.

    A palette PNG (254 greys + the frame colour) encodes ~3× faster and smaller than RGB; small
    grids are doubled so the digits stay crisp on a projector.
    """
    gap, side = 2, 28
    tiles = mosaic(manifold_images(_model, key, n), gap=gap, background=0.35)
    index = np.rint(254 * tiles).astype(np.uint8)  # palette entries 0..254 are greys
    top, left = row * (side + gap), col * (side + gap)
    cell = index[top : top + side, left : left + side].copy()
    index[max(top - 2, 0) : top + side + 2, max(left - 2, 0) : left + side + 2] = 255  # 255: the frame colour
    index[top : top + side, left : left + side] = cell
    if index.shape[0] < 480:
        index = np.kron(index, np.ones((2, 2), dtype=np.uint8))
    image = Image.frombytes("P", index.shape[::-1], np.ascontiguousarray(index).tobytes())
    greys = np.repeat(np.rint(np.arange(255) * 255 / 254).astype(np.uint8), 3)
    image.putpalette([*greys.tolist(), *(int(CURRENT[i : i + 2], 16) for i in (1, 3, 5))])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@st.cache_data(max_entries=24, show_spinner=False)  # ≤ 1 MB each (a 360² float64 grid)
def digit_posterior(_model, key, idx: int):
    return latent.digit_posterior(_model, holdout()[0][idx])


@st.cache_data(max_entries=64, show_spinner=False)
def view_box(_model, key, idx: int):
    return digit_posterior(_model, key, idx).view_box()


@st.cache_data(max_entries=64, show_spinner=False)
def digit_estimates(_model, key, idx: int, samples: int, k: int, seed: int):
    x = holdout()[0][idx]
    return latent.elbo_estimate(_model, x, samples, seed), latent.importance_estimate(_model, x, k, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def digit_sweep(_model, key, idx: int, seed: int):
    return latent.importance_sweep(_model, holdout()[0][idx], SWEEP_KS, SWEEP_REPEATS, seed)


# --- callbacks (the page passes its UrlState) ----------------------------------------------------
def set_z(state: UrlState, z1: float, z2: float) -> None:
    for name, value in (("z1", z1), ("z2", z2)):
        state.set(name, state.params[name].snap(float(value)))


def sample_prior(state: UrlState) -> None:
    """z ~ N(0, I) from the next seeded draw (the seed is the URL's `draw`)."""
    draw = state.value("draw") + 1
    state.set("draw", draw)
    set_z(state, *np.random.default_rng(draw).standard_normal(2))


# --- readouts -------------------------------------------------------------------------------------
def percent(share: float) -> str:
    """A probability as a percentage with enough digits to tell 0.03 % from 0 (and no 8e-06 %)."""
    value = 100.0 * share
    if value >= 0.1 or value == 0:
        return f"{value:.1f} %"
    return f"{value:.2g} %" if value >= 0.001 else "< 0.001 %"


def post_caption_fields(post) -> dict:
    """q's and the posterior's mean and sd, and q's 2σ box's share of the posterior, for ``latent.post_caption``."""

    def pair(v) -> str:
        return f"({num(v[0], 3)}, {num(v[1], 3)})"

    return dict(
        qmu=pair(post.mu_q),
        qsd=pair(post.sd_q),
        pmu=pair(post.post_mean),
        psd=pair(post.post_sd),
        inside=percent(post.mass_in_q(2.0)),
        ideal=percent(latent.mass_inside(2.0)),
    )


def metric_pm(label: str, value: float, se: float) -> None:
    """A Monte Carlo estimate: the value, ± one standard error underneath (grey, no arrow); a
    single draw has no standard error to show."""
    metric_note(label, num(value), t("common.pm_se", se=num(se)) if np.isfinite(se) else t("latent.pm_none"))


def check_rows(post, elbo) -> list[tuple[str, str, str]]:
    """The check expander's rows (quantity, value, difference): log p(x) on finer and coarser grids,
    the mass the grid misses, the reconstruction term by quadrature and by Monte Carlo, the gap two ways."""
    spacings = list(post.log_px_spacings)
    window = post.log_px_spacings[spacings[0]]
    rows = [(t("latent.check_window", h=num(spacings[0], 4), n=len(post.z1)), num(post.log_px_window, 4), "—")]
    for stride, spacing in zip((2, 4), spacings[1:], strict=True):
        value = post.log_px_spacings[spacing]
        rows.append(
            (t("latent.check_spacing", stride=stride, h=num(spacing, 4)), num(value, 4), f"{value - window:+.1e}")
        )
    coarse = post.log_px_coarse - window
    rows.append(
        (
            t("latent.check_coarse"),
            num(post.log_px_coarse, 4),
            f"{coarse:+.3f}" if abs(coarse) >= 5e-4 else f"{coarse:+.1e}",
        )
    )
    outside = math.exp(post.log_outside - post.log_px) if np.isfinite(post.log_outside) else 0.0
    rows.append((t("latent.check_outside"), f"{outside:.1e}", "—"))
    rows.append(
        (
            t("latent.check_post_sum"),
            f"{post.posterior.sum() + outside:.6f}",
            f"{post.posterior.sum() + outside - 1:+.1e}",
        )
    )
    rows.append((t("latent.check_q_mass"), f"{post.q_mass:.6f}", f"{post.q_mass - 1:+.1e}"))
    rows.append((t("latent.check_recon_quad"), num(post.recon_quad, 4), "—"))
    diff = elbo.recon - post.recon_quad
    spread = elbo.samples > 1 and elbo.recon_se > 0
    rows.append(
        (
            t("latent.check_recon_mc", L=elbo.samples),
            f"{num(elbo.recon, 4)} ± {num(elbo.recon_se, 4) if spread else '—'}",
            t("common.diff_in_se", diff=f"{diff:+.4f}", z=f"{diff / elbo.recon_se:+.1f}") if spread else f"{diff:+.4f}",
        )
    )
    rows.append((t("latent.check_gap_diff"), num(post.gap, 4), "—"))
    rows.append((t("latent.check_gap_direct"), num(post.kl_posterior, 4), f"{post.kl_posterior - post.gap:+.1e}"))
    return rows


def about_fields(card: dict) -> dict:
    """The model card's numbers for ``latent.about_text`` ("?" or "—" where the card lacks one)."""
    holdout_card = card.get("holdout", {})
    args, train = card.get("model_args", {}), card.get("training", {})
    is_gaps = holdout_card.get("neg_log_px_importance", {})
    return dict(
        enc="-".join(str(w) for w in [784, *args.get("encoder_hidden", []), 2]),
        dec="-".join(str(w) for w in [2, *args.get("decoder_hidden", []), 784]),
        enc_act=args.get("encoder_activation", "?"),
        dec_act=args.get("decoder_activation", "?"),
        epochs=train.get("epochs", "?"),
        train_size=f"{card.get('data', {}).get('train_size', 0):,}",
        trained_on=card.get("device", "?"),
        seconds=f"{card.get('train_wall_seconds', 0):.0f}",
        n=holdout_card.get("n_images", "?"),
        neg_elbo=num(holdout_card.get("neg_elbo", {}).get("mean", float("nan")), 2),
        neg_elbo_se=num(holdout_card.get("neg_elbo", {}).get("se", float("nan")), 2),
        neg_grid=num(holdout_card.get("neg_log_px_grid", {}).get("mean", float("nan")), 2),
        neg_is=num(is_gaps.get("5000", {}).get("mean", float("nan")), 2),
        is_gap=num(is_gaps.get("5000", {}).get("gap_to_grid", float("nan")), 2),
        sd_median=num(holdout_card.get("grid_check", {}).get("posterior_sd_median", float("nan")), 3),
        kl=num(holdout_card.get("kl", float("nan")), 2),
    )


def card_gap(card: dict | None) -> float:
    """The model card's gap between importance sampling (k = 5000) and the grid, over the holdout."""
    return (
        (card or {})
        .get("holdout", {})
        .get("neg_log_px_importance", {})
        .get("5000", {})
        .get("gap_to_grid", float("nan"))
    )
