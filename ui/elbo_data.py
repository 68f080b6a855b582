"""The ELBO page's URL parameters (:data:`STATE`, also used by the lesson) and its computations and
formulas: cached calls into vae_core.toy_model, the preset callbacks, the Jensen formula with
numbers, and the check table (views/elbo.py lays them out).

The toy model travels as one ``vae_core.toy_model.Toy`` (x, w, noise, m, s); q's URL names stay
``qmu``/``qsigma`` (see ui/toy.py).
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from ui.components import metric, num, tex
from ui.i18n import t
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState
from ui.toy import TOY_PARAMS
from vae_core.jensen import DISTRIBUTIONS, FUNCTIONS
from vae_core.toy_model import (
    Toy,
    ascend_elbo,
    elbo,
    log_evidence,
    posterior,
    posterior_kl,
    prior_kl,
    quadrature_check,
    reconstruction_term,
    weight_estimates,
)

STEPS = 100  # gradient-ascent budget: the default optimizer closes the gap within it everywhere
STATE = UrlState(
    "elbo",
    ChoiceParam("f", "log", FUNCTIONS),
    ChoiceParam("dist", "two", DISTRIBUTIONS),
    FloatParam("lam", 0.3, 0.0, 1.0, 0.01),
    FloatParam("x1", 0.5, 0.1, 6.0, 0.01),
    FloatParam("x2", 4.0, 0.1, 6.0, 0.01),
    FloatParam("lnsigma", 0.8, 0.05, 1.5, 0.01),
    *TOY_PARAMS,  # x, w, noise, qmu, qsigma: the same parameters as on the Monte Carlo page
    ChoiceParam("opt", "natural", ("natural", "plain")),
    ChoiceParam("lr", 0.2, (0.05, 0.1, 0.2, 0.5, 1.0)),
    IntParam("step", 0, 0, STEPS),
    ChoiceParam("L", 1000, (10, 100, 1_000, 10_000, 100_000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
F_TEX = {"log": r"\log {}", "sqrt": r"\sqrt{{{}}}", "neglog": r"-\log {}", "square": r"{}^2"}
WEIGHTED_TEX = {
    "log": r"{w}\log {a}",
    "sqrt": r"{w}\sqrt{{{a}}}",
    "neglog": r"{w}\,(-\log {a})",
    "square": r"{w}\cdot {a}^2",
}
LOGNORMAL_MEAN_F_TEX = {"log": "0", "neglog": "0", "square": r"e^{2\sigma^2}", "sqrt": r"e^{\sigma^2/8}"}


def jensen_latex(f, dist, params, result, convex: bool) -> str:
    """f(E[X]) and E[f(X)] with the current numbers, joined by ≤ (convex f) or ≥ (concave f)."""
    rel = r"\;\le\;" if convex else r"\;\ge\;"
    if dist == "two":
        lam, x1, x2 = params["lam"], params["x1"], params["x2"]
        inner = rf"\big({tex(lam)}\cdot{tex(x1)}+{tex(1 - lam)}\cdot{tex(x2)}\big)"
        terms = WEIGHTED_TEX[f].format(w=tex(lam), a=tex(x1)) + "+" + WEIGHTED_TEX[f].format(w=tex(1 - lam), a=tex(x2))
        return (
            rf"\begin{{aligned}}f(\mathbb E[X])&={F_TEX[f].format(inner)}={num(result.f_of_mean)}\\"
            rf"&{rel}\mathbb E[f(X)]={terms}={num(result.mean_of_f)}\end{{aligned}}"
        )
    wrap = (r"\big(", r"\big)") if f == "square" else ("", "")  # (e^a)^2, not the invalid e^a^2
    symbolic = F_TEX[f].format(wrap[0] + r"e^{\sigma^2/2}" + wrap[1])
    numeric = F_TEX[f].format(wrap[0] + f"e^{{{tex(params['lnsigma'])}^2/2}}" + wrap[1])
    return (
        rf"\begin{{aligned}}f(\mathbb E[X])&={symbolic}={numeric}={num(result.f_of_mean)}\\"
        rf"&{rel}\mathbb E[f(X)]={LOGNORMAL_MEAN_F_TEX[f]}={num(result.mean_of_f)}\end{{aligned}}"
    )


# --- preset callbacks (the page passes its UrlState) ---------------------------------------------
def set_q(state: UrlState, mu, sigma) -> None:
    """A new q is a new start: the optimizer's step goes back to 0, so the live ledger shows that q."""
    state.set("qmu", state.params["qmu"].snap(mu))
    state.set("qsigma", state.params["qsigma"].snap(sigma))
    state.set("step", 0)


def set_q_to_posterior(state: UrlState) -> None:
    mean, sd = posterior(state.value("x"), state.value("w"), state.value("noise"))
    set_q(state, float(mean), float(sd))


# --- the ledger ----------------------------------------------------------------------------------
def ledger_numbers(toy: Toy) -> dict:
    """log p(x), ELBO, KL(q‖p(z|x)) and the ELBO's two terms, exact; ``inputs`` tells a q move from a θ move."""
    return {
        "inputs": tuple(toy),
        "lp": float(log_evidence(*toy[:3])),
        "elbo": float(elbo(*toy)),
        "kl": float(posterior_kl(*toy)),
        "recon": float(reconstruction_term(*toy)),
        "prior_kl": float(prior_kl(toy.m, toy.s)),
    }


def metric_delta(change: float | None, colour: str) -> dict:
    """``st.metric`` keywords for a change since the last move (none on the first view)."""
    if change is None:
        return {}
    if abs(change) < 5e-5:
        return {"delta": "±0.0000", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": f"{change:+.4f}", "delta_color": colour}


def ledger_metrics(ledger: dict, previous_key: str) -> None:
    """log p(x), ELBO and KL as metrics, with their change since the last move of any ledger slider
    (the last ledger shown lives in ``st.session_state[previous_key]``)."""
    previous = st.session_state.get(previous_key)
    st.session_state[previous_key] = ledger
    moved = previous is not None and previous["inputs"] != ledger["inputs"]
    box = st.container(key="elbo_ledger_metrics")  # static/live/app.css reserves room for the deltas
    for col, (label, key, colour) in zip(
        box.columns(3),
        (("log p(x)", "lp", "normal"), ("ELBO", "elbo", "normal"), ("KL(q‖p(z|x))", "kl", "inverse")),
        strict=True,
    ):
        with col:
            metric(label, ledger[key], **metric_delta(ledger[key] - previous[key] if moved else None, colour))
    # The note after a move sits in one fixed slot, so the page below does not jump when it appears or
    # changes (θ/x's info box is taller than q's caption): static/live/app.css stacks the slot's
    # children in one grid cell, and an invisible copy of the taller note — θ's, laid out like the
    # info box — keeps that cell as tall as the info box at any width, in either language.
    note = box.container(key="elbo_ledger_note")
    note.container(key="elbo_ledger_ghost").markdown(t("elbo.theta_moved", delta="+00.0000"))
    if moved and abs(ledger["lp"] - previous["lp"]) >= 5e-5:
        note.info(t("elbo.theta_moved", delta=f"{ledger['lp'] - previous['lp']:+.4f}"), icon="🧭")
    elif moved:
        note.caption(t("elbo.q_moved"))


@st.cache_data(max_entries=32)
def cached_quadrature(toy: Toy):
    return quadrature_check(*toy)


def check_rows(ledger: dict, quad: dict) -> list[tuple[str, str, str, str]]:
    """The ledger's closed forms next to quadrature, with their difference."""
    pairs = [
        ("log p(x)", ledger["lp"], quad["log_evidence"]),
        ("ELBO", ledger["elbo"], quad["elbo"]),
        ("KL(q‖p(z|x))", ledger["kl"], quad["posterior_kl"]),
    ]
    return [(a, num(b, 8), num(c, 8), f"{c - b:+.1e}") for a, b, c in pairs]


def check_header() -> tuple[str, str, str, str]:
    return "", t("elbo.check_closed"), t("elbo.check_quad"), t("common.difference")


# --- optimization and samples --------------------------------------------------------------------
@st.cache_data(max_entries=64)
def cached_path(toy: Toy, lr, natural):
    return ascend_elbo(*toy, steps=STEPS, lr=lr, natural=natural)


@st.cache_data(max_entries=32)
def cached_weights(toy: Toy, L, seed):
    """Monte Carlo summary plus a 60-bin histogram of log w (the raw draws stay out of the cache)."""
    est = weight_estimates(*toy, L, seed)
    counts, edges = np.histogram(est.log_w, bins=60)
    return est._replace(log_w=None), counts, edges


# --- formulas ------------------------------------------------------------------------------------
TOY_LATEX = (
    r"\begin{aligned}&p(z)=\mathcal N(0,1),\quad p(x\mid z)=\mathcal N(wz,\ \sigma_\varepsilon^2)"
    r"\ \Rightarrow\ p(x)=\mathcal N(0,\ w^2+\sigma_\varepsilon^2)\qquad(1.4.1)\\"
    r"&p(z\mid x)=\frac{p(x,z)}{p(x)}=\mathcal N\Big(\frac{wx}{w^2+\sigma_\varepsilon^2},\ "
    r"\frac{\sigma_\varepsilon^2}{w^2+\sigma_\varepsilon^2}\Big)\qquad(1.4.2),"
    r"\qquad q(z)=\mathcal N(\mu_q,\ \sigma_q^2)\end{aligned}"
)
ROAD1_LATEX = (
    r"\begin{aligned}\log p(x)&=\log\int p(x,z)\,\mathrm dz\qquad(1.4.1)\\"
    r"&=\log\int q(z)\,\frac{p(x,z)}{q(z)}\,\mathrm dz\qquad(1.4.3)\\"
    r"&=\log\mathbb E_{q}\Big[\frac{p(x,z)}{q(z)}\Big]\qquad(1.4.4)\\"
    r"&\ge\mathbb E_{q}\Big[\log\frac{p(x,z)}{q(z)}\Big]=\mathrm{ELBO}\qquad(1.4.5)\end{aligned}"
)
ROAD2_LATEX = (
    r"\begin{aligned}\log p(x)&=\log p(x)\int q(z)\,\mathrm dz\qquad(1.4.7)\\"
    r"&=\mathbb E_q[\log p(x)]\qquad(1.4.8)\\"
    r"&=\mathbb E_q\Big[\log\frac{p(x,z)}{p(z\mid x)}\Big]\qquad(1.4.2)\\"
    r"&=\mathbb E_q\Big[\log\frac{p(x,z)}{q(z)}\Big]\\"
    r"&\qquad+\mathbb E_q\Big[\log\frac{q(z)}{p(z\mid x)}\Big]\qquad(1.4.9)\\"
    r"&=\mathrm{ELBO}+\mathrm{KL}\big(q(z)\,\|\,p(z\mid x)\big)\qquad(1.4.10)\end{aligned}"
)


def ledger_latex(ledger: dict) -> tuple[str, str]:
    """log p(x) = ELBO + KL (eq. 1.4.10) and ELBO = reconstruction − prior KL (eq. 1.4.12), with numbers."""
    lp, lower, kl, recon, pkl = (ledger[k] for k in ("lp", "elbo", "kl", "recon", "prior_kl"))
    return (
        rf"\underbrace{{\log p(x)}}_{{{num(lp)}}}=\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
        rf"+\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z\mid x)\big)}}_{{{num(kl)}}}\qquad(1.4.10)",
        rf"\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
        rf"=\underbrace{{\mathbb E_q[\log p(x\mid z)]}}_{{{num(recon)}}}"
        rf"-\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z)\big)}}_{{{num(pkl)}}}\qquad(1.4.12)",
    )


def bias_note(chi2: float, L: int, ess: float) -> tuple[bool, str]:
    """(is it a warning, text) on the log-mean-exp estimate's bias χ²/(2L): heavy-tailed weights, too
    few samples for the delta method (it needs L ≫ χ²), or the predicted bias and spread."""
    if not math.isfinite(chi2):
        return True, t("elbo.mc_heavy", ess=f"{ess:,.1f}")
    if chi2 / L > 0.1:
        return True, t("elbo.mc_too_few", chi2=f"{chi2:.3g}", ess=f"{ess:,.1f}")
    return False, t("elbo.mc_bias", bias=num(chi2 / (2 * L), 6), se=num(math.sqrt(chi2 / L), 6))
