"""The reparameterization page's URL parameters (:data:`STATE`, also used by the lesson) and its
computations, formulas and tables: cached calls into vae_core.gradients, the preset callback, the
closed forms with numbers and the rows of its Markdown tables (views/reparameterization.py lays
them out)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.components import num
from ui.figures_reparameterization import ratio_text, sci
from ui.i18n import t
from ui.model import holdout
from ui.state import BoolParam, ChoiceParam, FloatParam, IntParam, UrlState
from vae_core.data import HOLDOUT_PER_CLASS, N_CLASSES
from vae_core.gradients import (
    FUNCTIONS,
    exact_gradient,
    expectation,
    monte_carlo_check,
    per_sample_variances,
    quadrature_gradient,
    running_estimates,
    sample_counts,
    sample_variance_with_se,
    vae_gradient_samples,
    variance_ratio,
)

HOLDOUT_SIZE = HOLDOUT_PER_CLASS * N_CLASSES  # 500 holdout digits, sorted by class
STATE = UrlState(
    "reparameterization",
    FloatParam("mu", 1.0, -3.0, 3.0, 0.01),
    FloatParam("sigma", 1.0, 0.1, 3.0, 0.01),
    IntParam("seed", 0, 0, 2**31 - 1),
    ChoiceParam("f", "quad", FUNCTIONS),
    FloatParam("k", 3.0, 0.1, 10.0, 0.01),
    BoolParam("baseline", True),
    IntParam("digit", 0, 0, HOLDOUT_SIZE - 1),
)
N_SHOWN = 30  # ε samples drawn as linked points (seed 0 on the page's live view and in the lesson)
RUNS, MAX_L = 5, 10_000  # independent runs in the spread chart, and their largest sample count
COUNTS = sample_counts(MAX_L, 50)  # sample sizes L at which the running estimates are shown
K_GRID = np.geomspace(0.1, 10.0, 120)
CHECK_N, VAE_N = 100_000, 4_000
LATEX_F = {"quad": r"(z-k)^2", "cos": r"\cos(kz)", "gauss": r"e^{-kz^2}"}
ESTIMATORS_LATEX = (
    r"\begin{aligned}\text{RP:}\quad&\hat g_\mu=\frac1L\sum_{l=1}^{L} f'(z_l),"
    r"&&\hat g_\sigma=\frac1L\sum_{l=1}^{L} f'(z_l)\,\epsilon_l\\"
    r"\text{SF:}\quad&\hat g_\mu=\frac1L\sum_{l=1}^{L}\big(f(z_l)-b_{-l}\big)\frac{\epsilon_l}{\sigma},"
    r"&&\hat g_\sigma=\frac1L\sum_{l=1}^{L}\big(f(z_l)-b_{-l}\big)\frac{\epsilon_l^2-1}{\sigma}\\"
    r"&\text{SF: }b_{-l}=0,\qquad\text{SF+b: }b_{-l}=\frac{1}{L-1}\sum_{j\ne l}f(z_j)\end{aligned}"
)


def set_view(state: UrlState, **values) -> None:
    """A preset button's callback: set several controls at once."""
    for name, value in values.items():
        state.set(name, value)


# --- cached computations --------------------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def cached_running(kind, mu, sigma, k, seed):
    return running_estimates(kind, mu, sigma, k, COUNTS, RUNS, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_sweep(kind, mu, sigma):
    """Per-sample variances over the whole k grid: independent of k itself, so a k move reuses them."""
    return per_sample_variances(kind, mu, sigma, K_GRID)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_check(kind, mu, sigma, k, seed):
    return quadrature_gradient(kind, mu, sigma, k), monte_carlo_check(kind, mu, sigma, k, CHECK_N, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_vae_samples(_model, key, index: int, seed: int):
    """``key`` (:func:`ui.model.model_key`) stands in for the unhashable model in the cache key."""
    return vae_gradient_samples(_model, holdout()[0][index], VAE_N, seed)


# --- formulas and tables --------------------------------------------------------------------------
def exact_latex(kind: str, mu: float, sigma: float, k: float) -> str:
    """E_q[f] and its gradient in closed form for the chosen f, with the current numbers."""
    value = float(expectation(kind, mu, sigma, k))
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    forms = {
        "quad": (r"(\mu-k)^2+\sigma^2", r"2(\mu-k)", r"2\sigma"),
        "cos": (
            r"\cos(k\mu)\,e^{-k^2\sigma^2/2}",
            r"-k\sin(k\mu)\,e^{-k^2\sigma^2/2}",
            r"-k^2\sigma\cos(k\mu)\,e^{-k^2\sigma^2/2}",
        ),
        "gauss": (
            r"\frac{e^{-k\mu^2/s}}{\sqrt{s}},\ s=1+2k\sigma^2",
            r"-\frac{2k\mu}{s}\,\mathbb E_q[f]",
            r"\frac{2k\sigma(2k\mu^2-s)}{s^2}\,\mathbb E_q[f]",
        ),
    }[kind]
    return (
        rf"\begin{{aligned}}\mathbb E_q\big[{LATEX_F[kind]}\big]&={forms[0]}={num(value)}\\"
        rf"\tfrac{{\partial}}{{\partial\mu}}\mathbb E_q[f]&={forms[1]}={num(d_mu)}\\"
        rf"\tfrac{{\partial}}{{\partial\sigma}}\mathbb E_q[f]&={forms[2]}={num(d_sigma)}\end{{aligned}}"
    )


def variance_table(var, shown) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """(header, rows): each estimator's per-sample variances and their ratio to the pathwise one."""
    header = (
        t("reparameterization.col_estimator"),
        "Var ∂μ",
        "Var ∂σ",
        f"{t('reparameterization.col_ratio')} ∂μ",
        f"{t('reparameterization.col_ratio')} ∂σ",
    )
    rows = []
    for name in shown:
        ratios = [ratio_text(float(variance_ratio(var.get(name, w), var.get("pathwise", w)))) for w in ("mu", "sigma")]
        rows.append(
            (
                t(f"reparameterization.est_{name}"),
                sci(float(var.get(name, "mu"))),
                sci(float(var.get(name, "sigma"))),
                *ratios,
            )
        )
    return header, rows


def gradient_check_rows(kind, mu, sigma, k, seed, mc, quad) -> list[tuple[str, str, str]]:
    """The gradient in closed form, by quadrature and by each estimator on CHECK_N draws."""
    (q_mu, q_sigma) = quad
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    rows = [
        (t("reparameterization.check_closed"), num(d_mu, 6), num(d_sigma, 6)),
        (t("reparameterization.check_quad"), num(q_mu, 6), num(q_sigma, 6)),
    ]
    for name in ("pathwise", "score", "baseline"):
        cells = [f"{num(mc[name][w][0])} ± {num(mc[name][w][1])}" for w in ("mu", "sigma")]
        rows.append(
            (
                t(
                    "reparameterization.check_mc",
                    estimator=t(f"reparameterization.est_{name}"),
                    n=f"{CHECK_N:,}",
                    seed=seed,
                ),
                *cells,
            )
        )
    return rows


def variance_check_rows(mc, var) -> list[tuple[str, str, str, str]]:
    """Exact per-sample variances next to the sampled ones (± s.e.) and their distance in s.e."""
    rows = []
    for name in ("pathwise", "score", "baseline"):
        for w, symbol in (("mu", "∂μ"), ("sigma", "∂σ")):
            _, _, sampled, sampled_se = mc[name][w]
            exact = float(var.get(name, w))
            z = (sampled - exact) / sampled_se if sampled_se > 0 else 0.0
            z = 0.0 if abs(z) < 0.05 else z  # no "-0.0"
            rows.append(
                (
                    f"{t(f'reparameterization.est_{name}')} · {symbol}",
                    sci(exact, 5),
                    f"{sci(sampled, 5)} ± {sci(sampled_se, 2)}",
                    f"{z:+.1f}",
                )
            )
    return rows


def vae_rows(samples):
    """estimator → (per-coordinate Var ∂μⱼ (D_z,), their sum, its standard error), from the samples."""
    rows = {}
    for name in ("pathwise", "score", "baseline"):
        var, se = sample_variance_with_se(getattr(samples, f"{name}_mu"))
        rows[name] = (var, float(var.sum()), float(np.sqrt((se**2).sum())))
    return rows


def vae_table(rows) -> list[tuple[str, str, str, str]]:
    return [
        (t(f"reparameterization.est_{name}"), sci(var[0], 3), sci(var[1], 3), f"{sci(total, 3)} ± {sci(total_se, 2)}")
        for name, (var, total, total_se) in rows.items()
    ]
