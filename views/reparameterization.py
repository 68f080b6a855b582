"""The reparameterization trick (section 1.4.2.2): z = μ + σ⊙ε, and why VAEs train with it.

Pathwise vs score-function gradients of E_q[f(z)] (Mohamed et al., JMLR 2020, §3–§5), exact
per-sample variances, and the same comparison measured on the pretrained VAE. The figures (the
chapter's two graphs and three charts) are built in ui/figures_reparam.py; a slider move re-sends
only the charts that depend on it (the ε map ignores f, k and the baseline switch).
"""

import numpy as np
import streamlit as st

from ui.components import metric, num, page_footer, tex
from ui.figures_reparam import graph, map_figure, ratio_text, sci, spread_figure, sweep_figure
from ui.i18n import t
from ui.plots import chart
from ui.state import BoolParam, ChoiceParam, FloatParam, IntParam, UrlState, option_labels
from vae_core.gradients import (
    FUNCTIONS,
    exact_gradient,
    expectation,
    monte_carlo_check,
    pathwise_terms,
    per_sample_variances,
    quadrature_gradient,
    ratio_with_se,
    running_estimates,
    sample_counts,
    sample_variance_with_se,
    score_terms,
    vae_gradient_samples,
    variance_ratio,
)

HOLDOUT_SIZE = 500  # vae_core.data: the holdout split, 50 digits per class
STATE = UrlState(
    "reparam",
    FloatParam("mu", 1.0, -3.0, 3.0, 0.01),
    FloatParam("sigma", 1.0, 0.1, 3.0, 0.01),
    IntParam("seed", 0, 0, 2**31 - 1),
    ChoiceParam("f", "quad", FUNCTIONS),
    FloatParam("k", 3.0, 0.1, 10.0, 0.01),
    BoolParam("baseline", True),
    IntParam("digit", 0, 0, HOLDOUT_SIZE - 1),
)
N_SHOWN = 30  # ε samples drawn as linked points
RUNS, MAX_L = 5, 10_000  # independent runs in the spread chart, and their largest sample count
COUNTS = sample_counts(MAX_L, 50)  # sample sizes L at which the running estimates are shown
K_GRID = np.geomspace(0.1, 10.0, 120)
CHECK_N, VAE_N = 100_000, 4_000
LATEX_F = {"quad": r"(z-k)^2", "cos": r"\cos(kz)", "gauss": r"e^{-kz^2}"}


def set_view(**values):
    for name, value in values.items():
        STATE.set(name, value)


def new_seed():
    STATE.set("seed", int(np.random.default_rng().integers(0, 2**31 - 1)))


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


def exact_latex(kind: str, mu: float, sigma: float, k: float) -> str:
    """E_q[f] and its gradient in closed form for the chosen f, with the current numbers."""
    value = float(expectation(kind, mu, sigma, k))
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    forms = {
        "quad": (r"(\mu-k)^2+\sigma^2", r"2(\mu-k)", r"2\sigma"),
        "cos": (r"\cos(k\mu)\,e^{-k^2\sigma^2/2}", r"-k\sin(k\mu)\,e^{-k^2\sigma^2/2}",
                r"-k^2\sigma\cos(k\mu)\,e^{-k^2\sigma^2/2}"),
        "gauss": (r"\frac{e^{-k\mu^2/s}}{\sqrt{s}},\ s=1+2k\sigma^2", r"-\frac{2k\mu}{s}\,\mathbb E_q[f]",
                  r"\frac{2k\sigma(2k\mu^2-s)}{s^2}\,\mathbb E_q[f]"),
    }[kind]
    return (rf"\begin{{aligned}}\mathbb E_q\big[{LATEX_F[kind]}\big]&={forms[0]}={num(value)}\\"
            rf"\tfrac{{\partial}}{{\partial\mu}}\mathbb E_q[f]&={forms[1]}={num(d_mu)}\\"
            rf"\tfrac{{\partial}}{{\partial\sigma}}\mathbb E_q[f]&={forms[2]}={num(d_sigma)}\end{{aligned}}")


ESTIMATORS_LATEX = (
    r"\begin{aligned}\text{RP:}\quad&\hat g_\mu=\frac1L\sum_{l=1}^{L} f'(z_l),"
    r"&&\hat g_\sigma=\frac1L\sum_{l=1}^{L} f'(z_l)\,\epsilon_l\\"
    r"\text{SF:}\quad&\hat g_\mu=\frac1L\sum_{l=1}^{L}\big(f(z_l)-b_{-l}\big)\frac{\epsilon_l}{\sigma},"
    r"&&\hat g_\sigma=\frac1L\sum_{l=1}^{L}\big(f(z_l)-b_{-l}\big)\frac{\epsilon_l^2-1}{\sigma}\\"
    r"&\text{SF: }b_{-l}=0,\qquad\text{SF+b: }b_{-l}=\frac{1}{L-1}\sum_{j\ne l}f(z_j)\end{aligned}"
)


def gradient_controls():
    """f, k, baseline and presets in one row → (kind, k, show_baseline)."""
    pick, slide, switch = st.columns([1.1, 1.4, 1], gap="medium", vertical_alignment="center")
    with pick:
        kind = STATE.choice("f", t("reparam.f_label"), option_labels("reparam.f_"))
    with slide:
        k = STATE.slider("k", t("reparam.k_label"))
    with switch:
        show_baseline = STATE.toggle("baseline", t("reparam.baseline_label"), help=t("reparam.baseline_help"))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(t("common.presets"), width="content")
        st.button(t("reparam.preset_smooth"), on_click=set_view,
                  kwargs={"mu": 1.0, "sigma": 1.0, "f": "quad", "k": 3.0})
        st.button(t("reparam.preset_cos"), on_click=set_view, kwargs={"mu": 1.0, "sigma": 1.0, "f": "cos", "k": 5.0})
        st.button(t("reparam.preset_gauss"), on_click=set_view,
                  kwargs={"mu": 1.0, "sigma": 1.0, "f": "gauss", "k": 5.0})
    return kind, k, show_baseline


def variance_table(var, shown) -> str:
    header = (f"| {t('reparam.col_estimator')} | Var ∂μ | Var ∂σ | {t('reparam.col_ratio')} ∂μ "
              f"| {t('reparam.col_ratio')} ∂σ |\n|---|---|---|---|---|\n")
    rows = []
    for name in shown:
        ratios = [ratio_text(float(variance_ratio(var.get(name, w), var.get("pathwise", w)))) for w in ("mu", "sigma")]
        rows.append(f"| {t(f'reparam.est_{name}')} | {sci(float(var.get(name, 'mu')))} "
                    f"| {sci(float(var.get(name, 'sigma')))} | {ratios[0]} | {ratios[1]} |")
    return header + "\n".join(rows)


def check_expander(kind, mu, sigma, k, seed, var):
    # computed only while open (quadrature + 100,000 draws would otherwise rerun on every slider move)
    check = st.expander(t("common.check"), icon="✅", key="reparam_check_open", on_change="rerun")
    if not check.open:
        return
    with check:
        (q_mu, q_sigma), mc = cached_check(kind, mu, sigma, k, seed)
        d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
        rows = [(t("reparam.check_closed"), num(d_mu, 6), num(d_sigma, 6)),
                (t("reparam.check_quad"), num(q_mu, 6), num(q_sigma, 6))]
        for name in ("pathwise", "score", "baseline"):
            cells = [f"{num(mc[name][w][0])} ± {num(mc[name][w][1])}" for w in ("mu", "sigma")]
            rows.append((t("reparam.check_mc", estimator=t(f"reparam.est_{name}"), n=f"{CHECK_N:,}", seed=seed),
                         *cells))
        st.markdown(f"| {t('common.method')} | ∂/∂μ | ∂/∂σ |\n|---|---|---|\n"
                    + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))
        st.caption(t("reparam.check_grad_note"))
        rows = []
        for name in ("pathwise", "score", "baseline"):
            for w, symbol in (("mu", "∂μ"), ("sigma", "∂σ")):
                _, _, sampled, sampled_se = mc[name][w]
                exact = float(var.get(name, w))
                z = (sampled - exact) / sampled_se if sampled_se > 0 else 0.0
                z = 0.0 if abs(z) < 0.05 else z  # no "-0.0"
                rows.append(f"| {t(f'reparam.est_{name}')} · {symbol} | {sci(exact, 5)} | {sci(sampled, 5)} ± "
                            f"{sci(sampled_se, 2)} | {z:+.1f} |")
        st.markdown(f"| {t('reparam.col_estimator')} | {t('reparam.check_var_exact')} | "
                    f"{t('reparam.check_var_mc', n=f'{CHECK_N:,}')} | z |\n|---|---|---|---|\n" + "\n".join(rows))
        st.caption(t("reparam.check_var_note"))


@st.fragment
def explorer(seed: int):
    st.subheader(t("reparam.map_title"))
    left, right = st.columns(2, gap="large")
    with left:
        mu = STATE.slider("mu", t("reparam.mu_label"))
    with right:
        sigma = STATE.slider("sigma", t("reparam.sigma_label"))
    eps = np.random.default_rng(seed).standard_normal(N_SHOWN)
    chart(map_figure(mu, sigma, eps))
    st.caption(t("reparam.map_controls_note", n=N_SHOWN, seed=seed))
    left, right = st.columns([1, 1.2], gap="large")
    left.latex(rf"\begin{{aligned}}z_1&=\mu+\sigma\,\epsilon_1\\&={tex(mu)}+{tex(sigma)}\times{tex(float(eps[0]))}"
               rf"={num(float(mu + sigma * eps[0]), 2)}\end{{aligned}}")
    left.latex(r"\frac{\partial z}{\partial\mu}=1,\qquad\frac{\partial z}{\partial\sigma}=\epsilon")
    right.markdown(t("reparam.map_text"))
    st.info(t("reparam.standardize"), icon="📐")

    st.subheader(t("reparam.est_title"))
    st.markdown(t("reparam.est_intro"))
    st.latex(ESTIMATORS_LATEX)
    st.caption(t("reparam.est_latex_caption"))
    kind, k, show_baseline = gradient_controls()
    shown = ("pathwise", "score", "baseline") if show_baseline else ("pathwise", "score")
    var = per_sample_variances(kind, mu, sigma, k)
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    cells = st.columns(4)
    with cells[0]:
        metric("∂E_q[f]/∂μ", d_mu)
    with cells[1]:
        metric("∂E_q[f]/∂σ", d_sigma)
    for cell, wrt, symbol in ((cells[2], "mu", "μ"), (cells[3], "sigma", "σ")):
        ratio = float(variance_ratio(var.get("score", wrt), var.get("pathwise", wrt)))
        cell.metric(f"Var SF / Var RP ({symbol})", ratio_text(ratio), help=t("reparam.ratio_help"))
    chart(spread_figure(cached_running(kind, mu, sigma, k, seed), COUNTS, var, (d_mu, d_sigma), shown))
    st.caption(t("reparam.spread_caption", runs=RUNS, seed=seed))
    st.latex(exact_latex(kind, mu, sigma, k))
    st.markdown(f"**{t('reparam.table_title')}**")
    st.markdown(variance_table(var, shown))
    st.caption(t("reparam.table_caption"))
    text, sweep = st.columns([1, 1.3], gap="large")
    with text:
        st.markdown(t("reparam.nuance"))
    with sweep:
        st.markdown(f"**{t('reparam.sweep_title')}**")
        chart(sweep_figure(cached_sweep(kind, mu, sigma), K_GRID, k, shown))
        st.caption(t("reparam.sweep_caption"))
    check_expander(kind, mu, sigma, k, seed, var)


@st.cache_data(max_entries=4, show_spinner=False)
def holdout_digit(index: int):
    """One holdout image, binarized as in every reported holdout number, and its label."""
    from vae_core.data import load_digits, load_holdout_binary

    return load_holdout_binary()[index], int(load_digits("holdout")[1][index])


@st.cache_data(max_entries=32, show_spinner=False)
def cached_vae_samples(_model, weights_sha256: str, index: int, seed: int):
    # weights_sha256 stands in for the (unhashable) model in the cache key
    x, _ = holdout_digit(index)
    return vae_gradient_samples(_model, x, VAE_N, seed)


def vae_rows(samples):
    """estimator → (per-coordinate Var ∂μⱼ (D_z,), their sum, its standard error), from the samples."""
    rows = {}
    for name in ("pathwise", "score", "baseline"):
        var, se = sample_variance_with_se(getattr(samples, f"{name}_mu"))
        rows[name] = (var, float(var.sum()), float(np.sqrt((se**2).sum())))
    return rows


@st.fragment
def vae_section(seed: int):
    st.subheader(t("reparam.vae_title"))
    st.markdown(t("reparam.vae_intro"))
    try:  # torch loads here, only on this path
        from ui.model import model_card, pretrained_model

        model = pretrained_model()
    except ImportError as err:  # the model code itself is missing from this checkout
        st.error(t("common.model_missing"), icon="🧱")
        st.code(str(err), language=None, wrap_lines=True)
        return
    if model is None:
        return
    picker, result = st.columns([1, 2.6], gap="large")
    with picker:
        index = STATE.number("digit", t("reparam.vae_digit"))
        try:
            x, label = holdout_digit(index)
        except (OSError, RuntimeError, ValueError, IndexError) as err:  # data file missing or damaged
            st.error(t("reparam.vae_no_data"), icon="🧱")
            st.code(str(err), language=None, wrap_lines=True)
            return
        st.image(np.kron(x.reshape(28, 28) * 255, np.ones((5, 5))).astype(np.uint8), output_format="PNG", width=140,
                 caption=t("reparam.vae_digit_caption", label=label, index=index))
    samples = cached_vae_samples(model, (model_card() or {}).get("weights_sha256", ""), index, seed)
    rows = vae_rows(samples)
    with result:
        st.markdown(t("reparam.vae_q", mu=", ".join(f"{m:.3f}" for m in samples.mu),
                      sigma=", ".join(f"{s:.3f}" for s in samples.sigma), logp=num(float(samples.log_px.mean()), 1),
                      se=num(float(samples.log_px.std(ddof=1) / np.sqrt(samples.log_px.size)), 2)))
        cells = st.columns(2)
        for cell, name in zip(cells, ("score", "baseline"), strict=True):
            ratio, se = ratio_with_se(rows[name][1], rows[name][2], rows["pathwise"][1], rows["pathwise"][2])
            label = "Var SF / Var RP (∂μ)" if name == "score" else "Var SF+b / Var RP (∂μ)"
            cell.metric(label, ratio_text(ratio), help=t("reparam.vae_ratio_help", se=ratio_text(se)))
        table = [f"| {t('reparam.col_estimator')} | Var ∂μ₁ | Var ∂μ₂ | {t('reparam.vae_total')} |",
                 "|---|---|---|---|"]
        for name, (var, total, total_se) in rows.items():
            table.append(f"| {t(f'reparam.est_{name}')} | {sci(var[0], 3)} | {sci(var[1], 3)} "
                         f"| {sci(total, 3)} ± {sci(total_se, 2)} |")
        st.markdown("\n".join(table))
        st.caption(t("reparam.vae_caption", n=f"{VAE_N:,}", seed=seed))
    st.markdown(t("reparam.vae_why"))


st.title(t("reparam.title"))
st.markdown(t("reparam.intro"))
STATE.sync()

st.subheader(t("reparam.graph_title"))
before, after = st.columns(2, gap="large")
with before:
    st.markdown(f"**{t('reparam.graph_before')}**")
    st.graphviz_chart(graph("sample"))
    st.caption(t("reparam.graph_before_caption"))
with after:
    st.markdown(f"**{t('reparam.graph_after')}**")
    st.graphviz_chart(graph("reparam"))
    st.caption(t("reparam.graph_after_caption"))
st.info(t("reparam.errata"), icon="📝")

with st.container(horizontal=True, vertical_alignment="bottom"):
    page_seed = STATE.number("seed", t("common.seed"), width=220)
    st.button(t("common.resample"), on_click=new_seed, help=t("common.resample_help"))
explorer(page_seed)
vae_section(page_seed)
page_footer("reparam", pathwise_terms, score_terms, exact_gradient, per_sample_variances, running_estimates,
            vae_gradient_samples)
