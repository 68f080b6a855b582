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

from ui.components import image, metric, num
from ui.state import FloatParam, IntParam, UrlState
from ui.toy import TOY_PARAMS
from vae_core.gaussian import kl_normal
from vae_core.jensen import two_point
from vae_core.toy_model import Toy, ascend_elbo, elbo, log_evidence, posterior_kl

LEDGER_DIGIT = 118  # the latent page's default ledger digit: a 2 whose q sits beside its posterior
LEDGER_ESTIMATES = (100, 5000, 0)  # and its defaults L, k, seed (the draws from q in its posterior picture)
MC_L, MC_RUNS = 10_000, 20  # the Monte Carlo page's defaults (L, runs, seed 0)
REPARAM_N = 30  # the reparameterization page's fixed ε draws (seed 0)


@dataclass(frozen=True)
class Step:
    key: str  # i18n: lesson.<key>_title, _point, _question, _a, _b, _c, _why
    page: str  # registry slug of the full page
    section: str  # the section of that page (its `section=` deep link)
    correct: str  # "a", "b" or "c"
    view: Callable[[], dict]  # draws the step's picture; returns the numbers its answer quotes


JENSEN_STATE = UrlState(
    "lesson_jensen",
    FloatParam("lam", 0.5, 0.0, 1.0, 0.01),  # the ELBO page's ranges; the question's X = 1 or 4, ½ each
    FloatParam("x1", 1.0, 0.1, 6.0, 0.01),
    FloatParam("x2", 4.0, 0.1, 6.0, 0.01),
    FloatParam("lnsigma", 0.8, 0.05, 1.5, 0.01),
)


def jensen_view() -> dict:
    """X = 1 or 4 with equal probability, f = log: both sides of eq. 1.4.5's inequality, live (the
    chord under the curve; dragging λ, x₁, x₂ moves both sides)."""
    from ui.live.elbo import jensen_view as live_jensen

    JENSEN_STATE.sync()
    live_jensen(JENSEN_STATE, "log", "two")
    j = two_point("log", 1.0, 4.0, 0.5)  # the answer quotes the question's X, wherever the sliders are
    return {"f_mean": num(j.f_of_mean), "mean_f": num(j.mean_of_f), "gap": num(j.gap)}


LEDGER_STATE = UrlState(
    "lesson_ledger",
    *(param for param in TOY_PARAMS if param.name in ("qmu", "qsigma")),  # the model stays the default
    IntParam("k", 0, 0, 100),  # the optimizer's step: in the lesson's URL, "step" is the lesson's step
)


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
    q = Toy(toy.x, toy.w, toy.noise, LEDGER_STATE.value("qmu"), LEDGER_STATE.value("qsigma"))
    state = Renamed(LEDGER_STATE, {"qmu": "qmu", "qsigma": "qsigma", "step": "k"})
    live_ledger(state, q, ascend_elbo(*q), "natural", 0.2)  # ascend_elbo's defaults


def ledger_view() -> dict:
    """Eq. 1.4.10 live: moving q moves only the line between the ELBO and the KL."""
    toy = Toy()
    lp, e, kl = (float(v) for v in (log_evidence(toy.x, toy.w, toy.noise), elbo(*toy), posterior_kl(*toy)))
    _live_ledger(toy)
    return {"log_px": num(lp), "elbo": num(e), "kl": num(kl)}


def optimize_view() -> dict:
    """The same live ledger: its "Optimize q" plays gradient ascent on q while log p(x) stays put."""
    toy = Toy()
    path = ascend_elbo(toy.x, toy.w, toy.noise, toy.m, toy.s)
    lp = float(log_evidence(toy.x, toy.w, toy.noise))
    first, last = float(path.elbo[0]), float(path.elbo[-1])
    _live_ledger(toy)
    return {"log_px": num(lp), "start": num(first), "end": num(last), "kl_end": num(lp - last)}


KL_STATE = UrlState(
    "lesson_kl",
    FloatParam("mu1", 0.0, -5.0, 5.0, 0.01),
    FloatParam("sigma1", 1.0, 0.1, 5.0, 0.01),
    FloatParam("mu2", 1.0, -5.0, 5.0, 0.01),
    FloatParam("sigma2", 1.5, 0.1, 5.0, 0.01),
)


def kl_view() -> dict:
    """The live KL view, started at the KL page's defaults (the question is about those)."""
    from ui.live.kl import kl_view as live_kl

    KL_STATE.sync()
    live_kl(KL_STATE)
    return {"pq": num(float(kl_normal(0.0, 1.0, 1.0, 1.5))), "qp": num(float(kl_normal(1.0, 1.5, 0.0, 1.0)))}


def vae_elbo_view() -> dict:
    """One holdout digit through the pretrained VAE: its exact ledger (grid quadrature, eq. 1.4.12)
    beside the picture of why the gap stays: the encoder's q(z|x) next to the true posterior."""
    from ui.figures_latent import posterior_figure
    from ui.images import upscale
    from ui.latent_data import digit_estimates, digit_posterior, view_box
    from ui.model import holdout, model_key, pretrained_model
    from ui.plots import chart

    model = pretrained_model()
    if model is None:
        return {"log_px": "—", "elbo": "—", "kl": "—"}
    key = model_key(model)
    post = digit_posterior(model, key, LEDGER_DIGIT)
    _, imp = digit_estimates(model, key, LEDGER_DIGIT, *LEDGER_ESTIMATES)
    numbers, picture = st.columns([1, 1.9], gap="medium")
    with numbers:
        image(upscale(holdout()[0][LEDGER_DIGIT], 4), output_format="PNG", width=112, caption=f"#{LEDGER_DIGIT}")
        for label, value in (("log p(x)", post.log_px), ("ELBO", post.elbo_quad), ("KL(q‖p(z|x))", post.kl_posterior)):
            metric(label, value)
    with picture:
        fig = posterior_figure(post, imp, view_box(model, key, LEDGER_DIGIT))
        fig.update_layout(height=410, margin={"t": 10, "b": 115})  # presenter mode scales both by ~1.14
        chart(fig)
    return {"log_px": num(post.log_px), "elbo": num(post.elbo_quad), "kl": num(post.kl_posterior)}


MC_STATE = UrlState("lesson_mc", IntParam("n", MC_L, 1, MC_L))


def mc_view() -> dict:
    """The Monte Carlo page's live reveal of eq. 1.4.13's running estimates (its defaults)."""
    from ui.live.mc import mc_view as live_mc
    from ui.mc_data import SYMBOL, cached_convergence

    MC_STATE.sync()
    conv = cached_convergence("recon", MC_L, MC_RUNS, 0, Toy())
    live_mc(MC_STATE, conv, SYMBOL["recon"])
    n = conv.n.astype(float)
    at_100, at_10k = (float(np.sqrt(np.mean((conv.mean[:, i] - conv.exact) ** 2)))
                      for i in (int(np.argmin(abs(n - 100))), -1))
    return {"rms_100": num(at_100), "rms_10k": num(at_10k), "ratio": num(at_100 / at_10k, 1)}


REPARAM_STATE = UrlState("lesson_reparam", FloatParam("mu", 1.0, -3.0, 3.0, 0.01),
                         FloatParam("sigma", 1.0, 0.1, 3.0, 0.01))


def reparam_view() -> dict:
    """The same ε draws moved by μ and σ; f(z) = (z − 3)², the page's default."""
    from ui.live.reparam import reparam_view as live_reparam
    from vae_core.gradients import per_sample_variances

    REPARAM_STATE.sync()
    live_reparam(REPARAM_STATE, np.random.default_rng(0).standard_normal(REPARAM_N), "quad", 3.0, True)
    var = per_sample_variances("quad", 1.0, 1.0, np.array([3.0]))
    rp, sf = float(np.ravel(var.pathwise_mu)[0]), float(np.ravel(var.score_mu)[0])
    return {"rp": num(rp, 2), "sf": num(sf, 2), "ratio": num(sf / rp, 1)}


LATENT_STATE = UrlState("lesson_latent", FloatParam("z1", 0.0, -4.0, 4.0, 0.01),
                        FloatParam("z2", 0.0, -4.0, 4.0, 0.01), IntParam("from", 167, 0, 499),
                        IntParam("to", 363, 0, 499))


def latent_view() -> dict:
    """The interpolation between two holdout digits, decoded in the browser."""
    from ui.live.latent import latent_path

    LATENT_STATE.sync()
    latent_path(LATENT_STATE, LATENT_STATE.value("from"), LATENT_STATE.value("to"))
    return {}


def draw_view() -> dict:
    """The drawing pad (its ledger lives on the full page)."""
    from ui.draw_data import DrawParam
    from ui.live.draw import draw_view as live_draw

    state = UrlState("lesson_draw", DrawParam())
    state.sync()
    live_draw(state)
    return {}


def training_view() -> dict:
    """The shipped training run as a live timeline (300 epochs, 25 snapshots)."""
    from ui.live.timeline import timeline_view
    from ui.training_data import EpochParam, numbers_at, snapshot_epochs

    epochs = snapshot_epochs()
    state = UrlState("lesson_training", EpochParam("epoch", epochs[-1], epochs))
    state.sync()
    timeline_view(state)
    at = {e: numbers_at(e)["holdout"]["elbo"] for e in (0, 1, epochs[-1])}
    return {"e0": num(at[0], 1), "e1": num(at[1], 1), "end": num(at[epochs[-1]], 1)}


STEPS: tuple[Step, ...] = (
    Step("jensen", "elbo", "jensen", "a", jensen_view),
    Step("ledger", "elbo", "ledger", "b", ledger_view),
    Step("optimize", "elbo", "optimize", "b", optimize_view),
    Step("kl", "kl", "", "b", kl_view),
    Step("vae_elbo", "latent", "ledger", "b", vae_elbo_view),
    Step("mc", "mc", "", "b", mc_view),
    Step("reparam", "reparam", "", "a", reparam_view),
    Step("latent", "latent", "interpolation", "a", latent_view),
    Step("draw", "draw", "", "a", draw_view),
    Step("training", "training", "", "a", training_view),
)
