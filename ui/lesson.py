"""The lesson path (/lesson): one screen per idea, in the chapter's order, each with a
predict-then-reveal question. A step names its page and section (the full view, one click away),
shows its picture, and returns the numbers its answer quotes. Nothing about answers is stored
beyond this browser tab's session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import (
    diffusion_data,
    draw_data,
    elbo_data,
    gaussian_kl_data,
    latent_data,
    monte_carlo_data,
    reparameterization_data,
)
from ui.components import image, metric, num
from ui.i18n import count, t
from ui.state import UrlState
from vae_core.gaussian import kl_normal
from vae_core.jensen import two_point
from vae_core.toy_model import Toy, ascend_elbo, elbo, log_evidence, posterior_kl

# Each step shows a page's own controls: its states derive from the pages' (ui/<slug>_data.py), so the
# ranges and defaults cannot drift apart; the lesson changes only what its questions need.
_LATENT, _MC = latent_data.STATE.params, monte_carlo_data.STATE.params
LEDGER_DIGIT = _LATENT["idx"].default  # the latent page's default ledger digit: a 2 whose q sits beside its posterior
LEDGER_ESTIMATES = tuple(_LATENT[name].default for name in ("L", "k", "seed"))  # its L, k, seed (draws from q)
MC_L, MC_RUNS = _MC["L"].default, _MC["runs"].default  # the Monte Carlo page's defaults (seed 0)
REPARAM_N = reparameterization_data.N_SHOWN  # the reparameterization page's fixed ε draws (seed 0)


def signed(value: float, decimals: int = 4) -> str:
    """A number for the lesson's sentences and labels, with a true minus sign (−, not -)."""
    return num(value, decimals).replace("-", "\u2212")


@dataclass(frozen=True)
class Step:
    key: str  # i18n: lesson.<key>_title, _point, _question, _a, _b, _c, _why
    page: str  # registry slug of the full page
    section: str  # the section of that page (its `section=` deep link)
    correct: str  # "a", "b" or "c": the options show in this fixed order, the right one varies by step
    view: Callable[[], dict]  # draws the step's picture; returns the numbers its answer quotes
    lead: Callable[[], None] | None = None  # what the question is about, shown with it (gives nothing away)


JENSEN_STATE = elbo_data.STATE.derive(  # the question's X = 1 or 4, ½ each
    "lesson_jensen", ("lam", "x1", "x2", "lnsigma"), change={"lam": {"default": 0.5}, "x1": {"default": 1.0}}
)


def jensen_view() -> dict:
    """X = 1 or 4 with equal probability, f = log: both sides of eq. 1.4.5's inequality, live (the
    chord under the curve; dragging λ, x₁, x₂ moves both sides)."""
    from ui.live.elbo import jensen_view as live_jensen

    JENSEN_STATE.sync()
    live_jensen(JENSEN_STATE, "log", "two")
    j = two_point("log", 1.0, 4.0, 0.5)  # the answer quotes the question's X, wherever the sliders are
    return {"f_mean": num(j.f_of_mean), "mean_f": num(j.mean_of_f), "gap": num(j.gap)}


# the model stays the default; in the lesson's URL "step" is the lesson's step, so the optimizer's is "k"
LEDGER_STATE = elbo_data.STATE.derive("lesson_ledger", ("qmu", "qsigma", "step"), rename={"step": "k"})


class Renamed:
    """A :class:`UrlState` under other names, for a live view whose value names clash with the page's
    own URL names (``{view name: URL name}``); ``state_view`` uses only these five members."""

    def __init__(self, state: UrlState, names: dict[str, str]) -> None:
        self.state, self.names = state, names
        self.params = {view: state.params[url] for view, url in names.items()}

    def key(self, name: str) -> str:
        return self.state.key(name)

    def value(self, name: str):
        return self.state.value(self.names[name])

    def set(self, name: str, value) -> None:
        self.state.set(self.names[name], value)

    def write(self, name: str, value) -> None:
        self.state.write(self.names[name], value)


def _live_ledger(toy: Toy):
    """The ELBO page's live ledger on the default model, q from the URL, with its "Optimize q" path."""
    from ui.live.elbo import ledger_view as live_ledger

    LEDGER_STATE.sync()
    q = _current_q(toy)
    state = Renamed(LEDGER_STATE, {"qmu": "qmu", "qsigma": "qsigma", "step": "k"})
    live_ledger(state, q, ascend_elbo(*q), "natural", 0.2)  # ascend_elbo's defaults


def _current_q(toy: Toy) -> Toy:
    """The default model with the q the student left in the URL (the one the live ledger draws)."""
    return Toy(toy.x, toy.w, toy.noise, LEDGER_STATE.value("qmu"), LEDGER_STATE.value("qsigma"))


def ledger_view() -> dict:
    """Eq. 1.4.10 live: moving q moves only the line between the ELBO and the KL. The answer quotes
    the q on the screen (read after the view synced the URL), not the default one."""
    toy = Toy()
    _live_ledger(toy)
    q = _current_q(toy)
    lp, e, kl = (float(v) for v in (log_evidence(q.x, q.w, q.noise), elbo(*q), posterior_kl(*q)))
    return {"log_px": num(lp), "elbo": num(e), "kl": num(kl)}


def optimize_view() -> dict:
    """The same live ledger: its "Optimize q" plays gradient ascent on q while log p(x) stays put."""
    toy = Toy()
    _live_ledger(toy)
    path = ascend_elbo(*_current_q(toy))  # the path the view's "Optimize q" plays, from the q on screen
    lp = float(log_evidence(toy.x, toy.w, toy.noise))
    first, last = float(path.elbo[0]), float(path.elbo[-1])
    return {"log_px": num(lp), "start": num(first), "end": num(last), "kl_end": num(lp - last)}


KL_STATE = gaussian_kl_data.STATE.derive("lesson_kl", ("mu1", "sigma1", "mu2", "sigma2"))


def kl_view() -> dict:
    """The live KL view, started at the KL page's defaults (the question is about those)."""
    from ui.live.kl import kl_view as live_kl

    KL_STATE.sync()
    live_kl(KL_STATE)
    return {"pq": num(float(kl_normal(0.0, 1.0, 1.0, 1.5))), "qp": num(float(kl_normal(1.0, 1.5, 0.0, 1.0)))}


def best_gaussian_kl(post) -> float:
    """min over diagonal Gaussians q' of KL(q' ‖ p(z|x)), nats, by quadrature on the posterior's own
    grid (Nelder–Mead over μ and log σ, started at the posterior's moments): what is left of the gap
    when q is fitted to this one digit instead of predicted by the encoder for all of them."""
    from scipy.optimize import minimize

    zz1, zz2 = np.meshgrid(post.z1, post.z2)
    log_post = post.log_density()

    def kl(theta: np.ndarray) -> float:
        m1, m2, ls1, ls2 = theta
        log_q = (
            -0.5 * (((zz1 - m1) / np.exp(ls1)) ** 2 + ((zz2 - m2) / np.exp(ls2)) ** 2) - np.log(2.0 * np.pi) - ls1 - ls2
        )
        q_cell = np.exp(log_q) * post.step**2
        return float(np.sum(q_cell * (log_q - log_post)) / q_cell.sum())

    start = np.array([*post.post_mean, *np.log(post.post_sd)])
    fit = minimize(kl, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000})
    return float(min(fit.fun, kl(start)))


@st.cache_data(max_entries=4, show_spinner=False)
def _best_gaussian_kl(_model, key, idx: int) -> float:
    from ui.latent_data import digit_posterior

    return best_gaussian_kl(digit_posterior(_model, key, idx))


def vae_elbo_digit() -> None:
    """The step's digit, shown with its question (it gives nothing away)."""
    from ui.images import upscale
    from ui.model import holdout

    image(upscale(holdout()[0][LEDGER_DIGIT], 4), output_format="PNG", width=84, caption=f"#{LEDGER_DIGIT}")


def vae_elbo_view() -> dict:
    """One holdout digit through the pretrained VAE: its exact ledger (grid quadrature, eq. 1.4.12)
    beside the picture of why the gap stays: the encoder's q(z|x) next to the true posterior, and
    what the best Gaussian for this digit alone would leave (the amortization gap's share)."""
    from ui.figures_latent import posterior_figure
    from ui.latent_data import digit_estimates, digit_posterior, view_box
    from ui.model import model_key, pretrained_model
    from ui.plots import chart

    model = pretrained_model()
    if model is None:
        return {"log_px": "—", "elbo": "—", "kl": "—", "best": "—", "share": "—"}
    key = model_key(model)
    post = digit_posterior(model, key, LEDGER_DIGIT)
    best = _best_gaussian_kl(model, key, LEDGER_DIGIT)
    _, imp = digit_estimates(model, key, LEDGER_DIGIT, *LEDGER_ESTIMATES)
    numbers, picture = st.columns([1, 2.6], gap="medium")
    with numbers:
        for label, value in (("log p(x)", post.log_px), ("ELBO", post.elbo_quad), ("KL(q‖p(z|x))", post.kl_posterior)):
            metric(label, value)
        metric(t("lesson.vae_elbo_best"), best)
    with picture:
        fig = posterior_figure(post, imp, view_box(model, key, LEDGER_DIGIT))
        fig.update_layout(height=410, margin={"t": 10, "b": 115}, dragmode=False)  # presenter mode scales both by ~1.14
        fig.update_xaxes(fixedrange=True)
        fig.update_yaxes(fixedrange=True)  # a drag on a projector must not zoom the picture
        chart(fig)
    share = 100.0 * (1.0 - best / post.kl_posterior)
    return {
        "log_px": num(post.log_px),
        "elbo": num(post.elbo_quad),
        "kl": num(post.kl_posterior, 3),
        "best": num(best, 3),
        "share": f"{min(share, 99.9):.1f}",
    }


MC_STATE = monte_carlo_data.STATE.derive("lesson_mc", ("n",), change={"n": {"default": MC_L, "hi": MC_L}})


def mc_view() -> dict:
    """The Monte Carlo page's live reveal of eq. 1.4.13's running estimates (its defaults)."""
    from ui.live.mc import mc_view as live_mc
    from ui.monte_carlo_data import SYMBOL, cached_convergence

    MC_STATE.sync()
    conv = cached_convergence("recon", MC_L, MC_RUNS, 0, Toy())
    live_mc(MC_STATE, conv, SYMBOL["recon"])
    n = conv.n.astype(float)
    low = int(np.argmin(abs(n - 100)))  # the running means are kept at checkpoints: the one nearest 100
    at_100, at_10k = (float(np.sqrt(np.mean((conv.mean[:, i] - conv.exact) ** 2))) for i in (low, -1))
    return {
        "rms_100": num(at_100),
        "rms_10k": num(at_10k),
        "ratio": num(at_100 / at_10k, 1),
        "n_low": count(int(n[low])),
        "n_high": count(int(n[-1])),
    }


REPARAM_STATE = reparameterization_data.STATE.derive("lesson_reparam", ("mu", "sigma"))


def reparam_view() -> dict:
    """The same ε draws moved by μ and σ; f(z) = (z − 3)², the page's default."""
    from ui.live.reparam import reparam_view as live_reparam
    from vae_core.gradients import per_sample_variances

    REPARAM_STATE.sync()
    live_reparam(REPARAM_STATE, np.random.default_rng(0).standard_normal(REPARAM_N), "quad", 3.0, True)
    var = per_sample_variances("quad", 1.0, 1.0, np.array([3.0]))
    rp, sf = float(np.ravel(var.pathwise_mu)[0]), float(np.ravel(var.score_mu)[0])
    return {"rp": num(rp, 2), "sf": num(sf, 2), "ratio": num(sf / rp, 1)}


LATENT_STATE = latent_data.STATE.derive("lesson_latent", ("z1", "z2", "from", "to"))


PATH_NEIGHBOURS = 10  # holdout codes that name the class of a point on the path


def path_classes(codes: np.ndarray, labels: np.ndarray, start: int, end: int, frames: int = 9) -> list[tuple[int, int]]:
    """Along the straight path from holdout code ``start`` to ``end`` (``frames`` points, both ends
    included): (the most common class among the nearest holdout codes, how many of them it is)."""
    from vae_core.latent import interpolation_path

    out = []
    for z in interpolation_path(codes[start], codes[end], frames):
        nearest = np.argsort(np.linalg.norm(codes - z, axis=1))[:PATH_NEIGHBOURS]
        votes = np.bincount(labels[nearest], minlength=10)
        out.append((int(votes.argmax()), int(votes.max())))
    return out


def latent_view() -> dict:
    """The interpolation between two holdout digits, decoded in the browser; the answer names the
    classes whose codes the straight path passes (nearest holdout codes at t = 0, ⅛, …, 1)."""
    from ui.latent_data import codes
    from ui.live.latent import latent_path
    from ui.model import holdout, model_key, pretrained_model

    LATENT_STATE.sync()
    start, end = LATENT_STATE.value("from"), LATENT_STATE.value("to")
    latent_path(LATENT_STATE, start, end)
    model = pretrained_model()
    if model is None:
        return {"classes": "—", "mid": "—", "votes": "—", "k": PATH_NEIGHBOURS}
    labels = holdout()[1]
    along = path_classes(codes(model, model_key(model))[0], labels, start, end)
    crossed = [c for i, (c, _) in enumerate(along) if i == 0 or c != along[i - 1][0]]
    mid, votes = along[len(along) // 2]
    return {
        "classes": " → ".join(map(str, crossed)),
        "mid": mid,
        "votes": votes,
        "k": PATH_NEIGHBOURS,
        "first": int(labels[start]),
        "last": int(labels[end]),
    }


DRAW_CLASSES = (1, 8)  # the question's two digits: little ink in a predictable place, and a lot
DRAW_LAST = "lesson_draw_last"  # (packed digit, its log p(x)) of the drawing before the current one


@st.cache_data(max_entries=2, show_spinner=False)
def class_numbers(_model, key) -> dict[int, dict[str, float]]:
    """Holdout averages for the question's two classes: the ELBO of eq. 1.4.12 (a lower bound on
    log p(x); the model card's 200 samples and seed) and the ink (pixels that are 1)."""
    from ui.model import holdout

    images, labels = holdout()
    return {
        c: {"elbo": _mean_elbo(_model, images[labels == c]), "ink": float(images[labels == c].sum(axis=1).mean())}
        for c in DRAW_CLASSES
    }


def _mean_elbo(model, x: np.ndarray) -> float:
    """The model card's mean ELBO (its samples and seed) of binary images: the served model is a
    NumpyVAE (the same draws as torch's seeded generator), a torch VAE only where torch serves it."""
    from vae_core import np_vae
    from vae_core.timeline_data import ELBO_SAMPLES, EVAL_SEED  # torch-free: serving never imports torch

    if isinstance(model, np_vae.NumpyVAE):
        recon, _, kl = np_vae.elbo_terms(model, x, ELBO_SAMPLES, np_vae.TorchCPUGenerator(EVAL_SEED))
        return float(np.mean(np.asarray(recon, dtype=np.float64) - np.asarray(kl, dtype=np.float64)))
    from vae_core.timeline import elbo_summary  # a torch VAE: torch is loaded already

    return elbo_summary(model, x)["elbo"]


def draw_view() -> dict:
    """The drawing pad, and beside it the exact log p(x) of what is on it (the drawing page's grid
    quadrature), compared with the drawing before it: the question's comparison, on screen."""
    from ui.live.draw import draw_view as live_draw
    from ui.model import model_key, pretrained_model

    state = draw_data.STATE.derive("lesson_draw", ("draw",))
    state.sync()
    numbers = st.container(horizontal=True, gap="large", vertical_alignment="bottom")  # above the pad: a
    packed = live_draw(state)  # presenter-mode pad fits the screen below it, at its full width
    model = pretrained_model()
    if model is None:
        return {"log_px": "—", "ink": "—", "one": "—", "eight": "—", "ink_one": "—", "ink_eight": "—"}
    key = model_key(model)
    log_px = draw_data.digit_posterior(model, key, packed).log_px
    ink = int(draw_data.bits(packed).sum())
    last = st.session_state.get(DRAW_LAST)
    if last is not None and last[0] == packed:  # a rerun with the same drawing: keep the one before
        last = st.session_state.get(DRAW_LAST + "_before")
    else:
        st.session_state[DRAW_LAST + "_before"] = last
        st.session_state[DRAW_LAST] = (packed, log_px)
    with numbers:
        delta = None if last is None else t("lesson.draw_delta", change=num(log_px - last[1], 1))
        st.metric("log p(x)", signed(log_px, 1), delta=delta, delta_color="normal" if last else "off", width="content")
        st.metric(t("lesson.draw_ink"), str(ink), width="content")
        if last is not None:
            st.caption(t("lesson.draw_before", log_px=signed(last[1], 1)))
    classes = class_numbers(model, key)
    one, eight = (classes[c] for c in DRAW_CLASSES)
    return {
        "log_px": num(log_px, 1),
        "ink": ink,
        "one": num(one["elbo"], 1),
        "eight": num(eight["elbo"], 1),
        "ink_one": f"{one['ink']:.0f}",
        "ink_eight": f"{eight['ink']:.0f}",
    }


@st.cache_data(max_entries=1, show_spinner=False)
def ignore_z_log_px() -> float:
    """The holdout's mean log p(x) under a model that ignores z: every pixel an independent
    Bernoulli at its mean ink on the training split (grey levels as Bernoulli means, as in training;
    half a count added to each pixel, so a pixel never inked in training is not log 0), nats."""
    from ui.model import holdout
    from vae_core.data import load_digits, to_unit_interval

    train = to_unit_interval(load_digits("train")[0]).reshape(-1, 28 * 28)
    p = (train.sum(axis=0) + 0.5) / (len(train) + 1.0)
    x = holdout()[0].astype(np.float64)
    return float(np.mean(x @ np.log(p) + (1.0 - x) @ np.log1p(-p)))


def training_curve(epochs, holdout_elbo, base: float, labels: dict[str, str]):
    """The holdout ELBO per snapshot on a linear epoch axis, with the ignore-z model's line. The
    y-axis starts just under both (epoch 0's untrained decoder, hundreds of nats lower, is marked
    by an arrow at the axis' foot, its value written out)."""
    from ui.components import P_BLUE, PRIOR_GREY
    from ui.plots import figure

    later = np.asarray(holdout_elbo[1:], dtype=float)
    lo, hi = min(later.min(), base) - 16.0, later.max() + 6.0
    data = [
        {
            "type": "scatter",
            "x": list(epochs),
            "y": list(holdout_elbo),
            "mode": "lines+markers",
            "name": labels["curve"],
            "line": {"color": P_BLUE, "width": 2.5},
            "marker": {"size": 5},
            "cliponaxis": True,
        },
        {
            "type": "scatter",
            "x": [0, epochs[-1]],
            "y": [base, base],
            "mode": "lines",
            "name": labels["base"],
            "line": {"color": PRIOR_GREY, "dash": "dash", "width": 2},
            "hoverinfo": "skip",
        },
    ]
    arrow = {
        "x": 0,
        "y": lo,
        "ax": 36,
        "ay": -9,
        "text": labels["start"],
        "showarrow": True,
        "arrowhead": 2,
        "xanchor": "left",
        "yanchor": "middle",
        "font": {"size": 12},
    }
    axis = {"fixedrange": True}
    return figure(
        data,
        260,
        legend_top=True,
        margin={"l": 50, "r": 10, "t": 40, "b": 42},
        xaxis={**axis, "range": [-4, epochs[-1] + 4], "title": {"text": labels["epoch"]}},
        yaxis={**axis, "range": [lo, hi], "title": {"text": labels["nats"]}},
        annotations=[arrow],
        dragmode=False,
    )


def small_map(mu: np.ndarray, labels: np.ndarray, title: str):
    """One epoch's latent map for a row of them: the training page's map, small, each class's
    numeral at its median code, no legend, not zoomable (a drag on a projector must not zoom it)."""
    from ui.figures_latent import DIGIT_COLOURS
    from ui.figures_training import map_figure

    fig = map_figure(mu, labels, title, height=215)
    for digit in range(10):
        centre = np.median(mu[labels == digit], axis=0)
        fig.add_annotation(
            x=float(centre[0]),
            y=float(centre[1]),
            text=f"<b>{digit}</b>",
            showarrow=False,
            font={"size": 15, "color": DIGIT_COLOURS[digit]},
            bgcolor="rgba(255,255,255,0.7)",
        )
    fig.update_layout(
        showlegend=False,
        margin={"l": 28, "r": 4, "t": 28, "b": 24},
        dragmode=False,
        xaxis={"fixedrange": True, "title": None},
        yaxis={"fixedrange": True, "title": None},
    )
    return fig


def training_view() -> dict:
    """The shipped run (300 epochs, 25 snapshots): the holdout ELBO on a linear epoch axis with the
    line of a model that ignores z, and the latent map at four of its epochs (the full page scrubs
    through all of them)."""
    from ui.plots import chart
    from ui.training_data import numbers_at, snapshot_epochs, timeline

    epochs, arrays = snapshot_epochs(), timeline()
    elbos = [float(v) for v in arrays["holdout_elbo"]]
    base, end = ignore_z_log_px(), elbos[-1]
    labels = {
        "curve": t("lesson.training_curve"),
        "base": t("lesson.training_base", base=signed(base, 1)),
        "start": t("lesson.training_start", e0=signed(elbos[0], 1)),
        "epoch": t("lesson.training_epoch"),
        "nats": t("lesson.training_nats"),
    }
    chart(training_curve(epochs, elbos, base, labels))
    reached = {
        share: next(e for e, v in zip(epochs, elbos, strict=True) if v >= base + share * (end - base))
        for share in (0.5, 0.9)
    }
    shown = (1, reached[0.5], reached[0.9], epochs[-1])
    for column, epoch in zip(st.columns(len(shown), gap="small"), shown, strict=True):
        with column:
            mu = arrays["mu"][epochs.index(epoch)].astype(np.float64)
            chart(small_map(mu, arrays["labels"], t("lesson.training_map", epoch=epoch)))
    at = {e: numbers_at(e)["holdout"]["elbo"] for e in (0, 1, epochs[-1])}
    return {
        "e0": num(at[0], 1),
        "e1": num(at[1], 1),
        "end": num(at[epochs[-1]], 1),
        "base": num(base, 1),
        "half": reached[0.5],
        "ninety": reached[0.9],
    }


# --- the bridge to diffusion (/diffusion): the chapter's next section, previewed -------------------
NOISE_STATE = diffusion_data.STATE.derive("lesson_noise", ("t",), change={"t": {"default": 1000}})  # from x_T
X_BIG_T_CLASSES = (0, 3, 5, 7, 9)  # the picture's columns: the first holdout digit of each of these classes


def vae_t1_view() -> dict:
    """The T = 1 diffusion ledger beside the ELBO page's toy model: two libraries, the same numbers."""
    from ui.components import md_table
    from ui.figures_diffusion import ledger_chart
    from ui.live.chart import chart_view

    b = diffusion_data.bridge()
    ledger = ledger_chart(-b["diff_log_p"], -b["diff_recon"], b["diff_prior"], 0.0, b["diff_gap"])
    chart_view(diffusion_data.STATE, "lesson_t1_ledger", ledger)  # a live chart (static/live/chart.js)
    rows = [
        (t("diffusion.vae_row_diff"), num(b["diff_log_p"]), num(b["diff_elbo"]), num(b["diff_gap"])),
        (t("diffusion.vae_row_toy"), num(b["toy_log_p"]), num(b["toy_elbo"]), num(b["toy_gap"])),
    ]
    st.markdown(md_table(("", "log p(x)", "ELBO", "KL(q‖p(z|x))"), rows))
    return {
        "elbo": num(b["diff_elbo"]),
        "toy_elbo": num(b["toy_elbo"]),
        "gap": num(b["diff_gap"]),
        "qmu": num(b["qmu"], 2),
        "qsigma": num(b["qsigma"], 2),
    }


def x_big_t_view() -> dict:
    """Five holdout digits (top) and each noised to t = T = 1000 on the linear schedule (bottom), and
    what is left of x₀ in x_T: √ᾱ_T against the noise's √(1 − ᾱ_T), the prior-matching KL per digit."""
    from ui.images import mosaic, png
    from vae_core import diffusion as d

    bits, labels = diffusion_data.holdout_digits()
    T = diffusion_data.DIGIT_T
    sched = diffusion_data.schedule(T, "linear")
    x0 = [diffusion_data.signed(bits[np.flatnonzero(labels == c)[0]]) for c in X_BIG_T_CLASSES]
    xT = [diffusion_data.noised(x, sched, T, seed) for seed, x in enumerate(x0)]
    rows = np.stack([[diffusion_data.to_unit(x) for x in x0], [diffusion_data.to_unit(x) for x in xT]])
    picture = np.kron(np.rint(255 * mosaic(rows, gap=3)).astype(np.uint8), np.ones((3, 3), dtype=np.uint8))
    from ui.live.noise import noise_view

    NOISE_STATE.sync()  # the noise page's live view of the first digit, started at t = T: drag t back
    first = np.flatnonzero(labels == X_BIG_T_CLASSES[0])[0]
    noise_view(NOISE_STATE, bits[first], diffusion_data.noise(784, 0), T, "linear", int(labels[first]))
    image(png(picture), caption=t("lesson.x_big_t_caption", T=T))
    ab = float(sched.alpha_bar[T])
    pooled = np.concatenate(xT)
    prior_kl = 784 * float(d.kl_normal(np.sqrt(ab), np.sqrt(1 - ab), 0.0, 1.0))
    return {
        "T": T,
        "signal": f"{np.sqrt(ab):.4f}",
        "noise": f"{np.sqrt(1 - ab):.6f}",
        "mean": num(float(pooled.mean()), 3),
        "sd": num(float(pooled.std()), 3),
        "kl": f"{prior_kl:.3f}",
    }


def ddpm_term_view() -> dict:
    """The shipped DDPM's bound on the holdout digits, term by term (its model card, written by the
    training CLI); the prior-matching term recomputed here from the schedule alone."""
    from ui.components import md_table
    from vae_core import diffusion as d

    card = diffusion_data.ddpm_card()
    if card is None:
        return {k: "—" for k in ("total", "denoise", "share", "prior", "prior_calc", "recon")}
    hb = card["holdout_bound"]
    sched = diffusion_data.schedule(card["model_args"]["T"], card["model_args"]["schedule"])
    ab = float(sched.alpha_bar[-1])
    prior_calc = 784 * float(d.kl_normal(np.sqrt(ab), np.sqrt(1 - ab), 0.0, 1.0))
    total, denoise = hb["neg_elbo"]["mean"], hb["denoising_sum"]
    by_steps = hb["denoising_by_steps"]
    rows = [
        (t("lesson.ddpm_term_recon"), f"{-hb['reconstruction_L0']:.3f}"),
        (t("lesson.ddpm_term_prior"), f"{hb['prior_LT']:.3f}"),
        *((t("lesson.ddpm_term_denoise", steps=k), f"{v:.3f}") for k, v in by_steps.items()),
        (t("lesson.ddpm_term_total"), f"{total:.3f}"),
    ]
    from ui.figures_diffusion import bound_terms_figure
    from ui.plots import chart

    kinds = ["recon", "prior", *("denoise" for _ in by_steps)]
    chart(bound_terms_figure([(label, float(v), kind) for (label, v), kind in zip(rows[:-1], kinds, strict=True)]))
    st.markdown(md_table((t("lesson.ddpm_term_term"), t("lesson.ddpm_term_nats")), rows))
    return {
        "total": num(total, 1),
        "denoise": num(denoise, 1),
        "share": f"{100 * denoise / total:.2f}",
        "prior": f"{hb['prior_LT']:.3f}",
        "prior_calc": f"{prior_calc:.3f}",
        "recon": f"{-hb['reconstruction_L0']:.3f}",
    }


STEPS: tuple[Step, ...] = (
    Step("jensen", "elbo", "jensen", "b", jensen_view),
    Step("ledger", "elbo", "ledger", "c", ledger_view),
    Step("optimize", "elbo", "optimize", "a", optimize_view),
    Step("kl", "gaussian_kl", "", "c", kl_view),
    Step("vae_elbo", "latent", "ledger", "a", vae_elbo_view, vae_elbo_digit),
    Step("mc", "monte_carlo", "", "b", mc_view),
    Step("reparam", "reparameterization", "", "c", reparam_view),
    Step("latent", "latent", "interpolation", "b", latent_view),
    Step("draw", "draw", "", "a", draw_view),
    Step("training", "training", "", "c", training_view),
    Step("vae_t1", "diffusion", "vae", "a", vae_t1_view),
    Step("x_big_t", "diffusion", "noise", "b", x_big_t_view),
    Step("ddpm_term", "diffusion", "draw", "a", ddpm_term_view),
)
