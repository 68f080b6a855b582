"""The lesson path (/lesson): one screen per idea, in the chapter's order, each with a
predict-then-reveal question. A step names its page and section (the full view, one click away),
shows its picture, and returns the numbers its answer quotes. Nothing about answers is stored
beyond this browser tab's session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ui.components import metric, num
from ui.state import FloatParam, UrlState
from vae_core.gaussian import kl_normal
from vae_core.jensen import two_point
from vae_core.toy_model import Toy, ascend_elbo, elbo, log_evidence, posterior_kl


@dataclass(frozen=True)
class Step:
    key: str  # i18n: lesson.<key>_title, _point, _question, _a, _b, _c, _why
    page: str  # registry slug of the full page
    section: str  # the section of that page (its `section=` deep link)
    correct: str  # "a", "b" or "c"
    view: Callable[[], dict]  # draws the step's picture; returns the numbers its answer quotes


def _metrics(pairs: list[tuple[str, float]]) -> None:
    for column, (label, value) in zip(st.columns(len(pairs)), pairs, strict=True):
        with column:
            metric(label, value)


def jensen_view() -> dict:
    """X = 1 or 4 with equal probability, f = log: both sides of eq. 1.4.5's inequality."""
    j = two_point("log", 1.0, 4.0, 0.5)
    _metrics([("log E[X]", j.f_of_mean), ("E[log X]", j.mean_of_f), ("gap", j.gap)])
    return {"f_mean": num(j.f_of_mean), "mean_f": num(j.mean_of_f), "gap": num(j.gap)}


def ledger_view() -> dict:
    toy = Toy()
    lp, e, kl = (float(v) for v in (log_evidence(toy.x, toy.w, toy.noise), elbo(*toy), posterior_kl(*toy)))
    _metrics([("log p(x)", lp), ("ELBO", e), ("KL(q‖p(z|x))", kl)])
    return {"log_px": num(lp), "elbo": num(e), "kl": num(kl)}


def optimize_view() -> dict:
    toy = Toy()
    path = ascend_elbo(toy.x, toy.w, toy.noise, toy.m, toy.s)
    lp = float(log_evidence(toy.x, toy.w, toy.noise))
    first, last = float(path.elbo[0]), float(path.elbo[-1])
    _metrics([("log p(x)", lp), ("ELBO (start)", first), ("ELBO (end)", last)])
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


STEPS: tuple[Step, ...] = (
    Step("jensen", "elbo", "jensen", "a", jensen_view),
    Step("ledger", "elbo", "ledger", "b", ledger_view),
    Step("optimize", "elbo", "optimize", "b", optimize_view),
    Step("kl", "kl", "", "b", kl_view),
)
