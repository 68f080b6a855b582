"""The Monte Carlo page's URL parameters (:data:`STATE`, also used by the lesson) and its cached
computations, formulas and tables (views/monte_carlo.py lays them out); the sampling itself, in
bounded blocks, is vae_core/monte_carlo.py."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.components import num
from ui.figures_monte_carlo import asymptote_from
from ui.i18n import t
from ui.state import ChoiceParam, IntParam, UrlState
from ui.toy import TOY_PARAMS
from vae_core.monte_carlo import TARGETS, convergence, estimator_repeats, quadrature_moments, toy_views

L_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
LHIST_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000)
STATE = UrlState(
    "monte_carlo",
    ChoiceParam("target", "recon", TARGETS),
    ChoiceParam("L", 10_000, L_OPTIONS),
    IntParam("runs", 20, 1, 50),
    IntParam("seed", 0, 0, 2**31 - 1),
    ChoiceParam("Lhist", 10, LHIST_OPTIONS),
    IntParam("n", L_OPTIONS[-1], 1, L_OPTIONS[-1]),  # the n the live view shows (≤ L): where play or a drag stopped
    *TOY_PARAMS,  # the ELBO page's toy model: same names, defaults, ranges
)

REPEATS = 2_000  # histogram repeats
POINTS = 120  # log-spaced checkpoints per run: 24 per decade is smooth on a log axis and keeps charts light
SYMBOL = {
    "recon": "E_q[log p(x|z)]",
    "kl": "KL(q‖p(z))",
    "pi": "π",
    "square": "E[X²]",
    "exp": "E[eˣ]",
    "tail": "P(X > 2)",
}
F_LATEX = {
    "recon": r"f(z)=\log p(x\mid z)=\log\mathcal N(x;\,wz,\ \mathrm{noise}^2),\quad z\sim q",
    "kl": r"f(z)=\log q(z)-\log p(z),\quad z\sim q",
    "pi": r"f(U)=4\cdot\mathbb 1\{U_1^2+U_2^2\le 1\},\quad U\sim\mathrm{Unif}[0,1]^2",
    "square": r"f(X)=X^2,\quad X\sim\mathcal N(0,1)",
    "exp": r"f(X)=e^{X},\quad X\sim\mathcal N(0,1)",
    "tail": r"f(X)=\mathbb 1\{X>2\},\quad X\sim\mathcal N(0,1)",
}


# Cached results are small (checkpoints only: ≤ 50 runs × ~120 points), so a few dozen entries
# cost a few MB and let a classroom share the default view and every revisited position.
@st.cache_data(max_entries=32, show_spinner=False)
def cached_convergence(target, L, runs, seed, toy):
    return convergence(target, L, runs, seed, toy, POINTS)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_repeats(target, L, seed, toy):
    return estimator_repeats(target, L, REPEATS, seed, toy)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_toy_views(L, runs, seed, toy):
    """recon, kl and IWAE from one pass over the same draws: a toy slider costs one pass, not three."""
    return toy_views(L, runs, seed, toy, POINTS)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_quadrature(target, toy):
    return quadrature_moments(target, toy)


def se_text(se, key="common.pm_se", *, can_vary=True, **fields):
    """'± s.e.' for a Monte Carlo estimate — or why there is none: one run (se is NaN), or every draw
    equal although the target can vary (a sample s.e. of 0 would read as certainty; e.g. no tail hit)."""
    if not np.isfinite(se):
        return t("monte_carlo.se_one_run")
    if se == 0 and can_vary:
        return t("monte_carlo.se_all_equal")
    return t(key, se=num(se), **fields)


def iwae_table(it, L, runs, chi2, gap) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """(header, rows): mean IWAE over runs at L = 1, 10, 100, …: the bias shrinking, next to what theory predicts."""
    header = ("L", t("monte_carlo.col_iwae"), t("monte_carlo.col_bias"), t("monte_carlo.col_theory"))
    lines = []
    for k in (k for k in (1, 10, 100, 1_000, 10_000, 100_000) if k <= L):
        col = it.iwae[:, np.searchsorted(it.n, k)]
        pm = f" ± {num(col.std(ddof=1) / np.sqrt(runs))}" if runs > 1 else " ± —"
        if k == 1:
            theory = t("monte_carlo.theory_gap", gap=num(gap))
        elif k >= asymptote_from(chi2):
            theory = num(chi2 / (2 * k))
        else:
            theory = "—"
        lines.append((f"{k:,}", num(col.mean()), f"{num(it.log_px - col.mean())}{pm}", theory))
    return header, lines
