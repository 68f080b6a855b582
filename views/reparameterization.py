"""The reparameterization trick (section 1.4.2.2): z = μ + σ⊙ε, and why VAEs train with it.

Pathwise vs score-function gradients of E_q[f(z)] (Mohamed et al., JMLR 2020, §3–§5), exact
per-sample variances, and the same comparison measured on the pretrained VAE. Dragging μ or σ moves
the samples, their gradients and the readouts live in the browser (ui/live/reparam.py); the
release reruns the ``explorer`` fragment once. The chapter's two graphs and the spread and sweep
charts (drawn by the live layer, ui/live/chart.py, from the server's numbers) are built in
ui/figures_reparameterization.py.
"""

import numpy as np
import streamlit as st

from ui import reparameterization_data as data
from ui.components import image, intro, md_table, metric, num, page_footer, tex
from ui.figures_reparameterization import graph, ratio_text, spread_chart, sweep_chart
from ui.i18n import t
from ui.live.chart import chart_view
from ui.live.reparam import reparam_view
from ui.state import option_labels, presenting
from vae_core.gradients import (
    exact_gradient,
    pathwise_terms,
    per_sample_variances,
    ratio_with_se,
    running_estimates,
    score_terms,
    vae_gradient_samples,
    variance_ratio,
)

STATE = data.STATE  # the URL parameters, in ui/reparameterization_data.py (the lesson uses them too)


def gradient_controls():
    """f, k, baseline and presets in one row → (kind, k, show_baseline)."""
    pick, slide, switch = st.columns([1.1, 1.4, 1], gap="medium", vertical_alignment="center")
    with pick:
        kind = STATE.choice("f", t("reparameterization.f_label"), option_labels("reparameterization.f_"))
    with slide:
        k = STATE.slider("k", t("reparameterization.k_label"))
    with switch:
        show_baseline = STATE.toggle(
            "baseline", t("reparameterization.baseline_label"), help=t("reparameterization.baseline_help")
        )
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(t("common.presets"), width="content")
        st.button(
            t("reparameterization.preset_smooth"),
            on_click=data.set_view,
            args=(STATE,),
            kwargs={"mu": 1.0, "sigma": 1.0, "f": "quad", "k": 3.0},
        )
        st.button(
            t("reparameterization.preset_cos"),
            on_click=data.set_view,
            args=(STATE,),
            kwargs={"mu": 1.0, "sigma": 1.0, "f": "cos", "k": 5.0},
        )
        st.button(
            t("reparameterization.preset_gauss"),
            on_click=data.set_view,
            args=(STATE,),
            kwargs={"mu": 1.0, "sigma": 1.0, "f": "gauss", "k": 5.0},
        )
    return kind, k, show_baseline


def check_expander(kind, mu, sigma, k, seed, var):
    # computed only while open (quadrature + 100,000 draws would otherwise rerun on every slider move)
    check = st.expander(t("common.check"), icon="✅", key="reparameterization_check_open", on_change="rerun")
    if not check.open:
        return
    with check:
        quad, mc = data.cached_check(kind, mu, sigma, k, seed)
        header = (t("common.method"), "∂/∂μ", "∂/∂σ")
        st.markdown(md_table(header, data.gradient_check_rows(kind, mu, sigma, k, seed, mc, quad)))
        st.caption(t("reparameterization.check_grad_note"))
        header = (
            t("reparameterization.col_estimator"),
            t("reparameterization.check_var_exact"),
            t("reparameterization.check_var_mc", n=f"{data.CHECK_N:,}"),
            "z",
        )
        st.markdown(md_table(header, data.variance_check_rows(mc, var)))
        st.caption(t("reparameterization.check_var_note"))


@st.fragment
def explorer(seed: int):
    """Everything that follows μ and σ. The live view moves the samples while you drag (in the
    browser); its release, f, k, the baseline switch and the presets rerun only this fragment."""
    st.header(t("reparameterization.map_title"), anchor="samples")
    kind, k, show_baseline = gradient_controls()
    eps = np.random.default_rng(seed).standard_normal(data.N_SHOWN)
    mu, sigma = reparam_view(STATE, eps, kind, k, show_baseline)
    st.caption(t("reparameterization.map_controls_note", n=data.N_SHOWN, seed=seed))
    left, right = st.columns([1, 1.2], gap="large")
    left.latex(
        rf"\begin{{aligned}}z_1&=\mu+\sigma\,\epsilon_1\\&={tex(mu)}+{tex(sigma)}\times{tex(float(eps[0]))}"
        rf"={num(float(mu + sigma * eps[0]), 2)}\end{{aligned}}"
    )
    left.latex(r"\frac{\partial z}{\partial\mu}=1,\qquad\frac{\partial z}{\partial\sigma}=\epsilon")
    right.markdown(t("reparameterization.map_text"))
    st.info(t("reparameterization.standardize"), icon="📐")

    st.header(t("reparameterization.est_title"), anchor="estimators")
    st.markdown(t("reparameterization.est_intro"))
    st.latex(data.ESTIMATORS_LATEX)
    st.caption(t("reparameterization.est_latex_caption"))
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
        cell.metric(f"Var SF / Var RP ({symbol})", ratio_text(ratio), help=t("reparameterization.ratio_help"))
    running = data.cached_running(kind, mu, sigma, k, seed)
    chart_view(STATE, "live_spread", spread_chart(running, data.COUNTS, var, (d_mu, d_sigma), shown))
    st.caption(t("reparameterization.spread_caption", runs=data.RUNS, seed=seed))
    st.latex(data.exact_latex(kind, mu, sigma, k))
    st.markdown(f"**{t('reparameterization.table_title')}**")
    st.markdown(md_table(*data.variance_table(var, shown)))
    st.caption(t("reparameterization.table_caption"))
    text, sweep = st.columns([1, 1.3], gap="large")
    with text:
        st.markdown(t("reparameterization.nuance"))
    with sweep:
        st.markdown(f"**{t('reparameterization.sweep_title')}**")
        chart_view(STATE, "live_sweep", sweep_chart(data.cached_sweep(kind, mu, sigma), data.K_GRID, k, shown))
        st.caption(t("reparameterization.sweep_caption"))
    check_expander(kind, mu, sigma, k, seed, var)


@st.fragment
def vae_section(seed: int):
    st.header(t("reparameterization.vae_title"), anchor="vae")
    st.markdown(t("reparameterization.vae_intro"))
    try:  # torch loads here, only on this path
        from ui.model import holdout, model_key, pretrained_model

        model = pretrained_model()
    except ImportError as err:  # the model code itself is missing from this checkout
        st.error(t("common.model_missing"), icon="🧱")
        st.code(str(err), language=None, wrap_lines=True)
        return
    if model is None:
        return
    picker, result = st.columns([1, 2.6], gap="large")
    with picker:
        index = STATE.number("digit", t("reparameterization.vae_digit"))
        try:
            images, labels = holdout()
            x, label = images[index], int(labels[index])
        except (OSError, RuntimeError, ValueError, IndexError) as err:  # data file missing or damaged
            st.error(t("reparameterization.vae_no_data"), icon="🧱")
            st.code(str(err), language=None, wrap_lines=True)
            return
        image(
            np.kron(x.reshape(28, 28) * 255, np.ones((5, 5))).astype(np.uint8),
            output_format="PNG",
            width=140,
            caption=t("reparameterization.vae_digit_caption", label=label, index=index),
        )
    samples = data.cached_vae_samples(model, model_key(model), index, seed)
    rows = data.vae_rows(samples)
    with result:
        st.markdown(
            t(
                "reparameterization.vae_q",
                mu=", ".join(f"{m:.3f}" for m in samples.mu),
                sigma=", ".join(f"{s:.3f}" for s in samples.sigma),
                logp=num(float(samples.log_px.mean()), 1),
                se=num(float(samples.log_px.std(ddof=1) / np.sqrt(samples.log_px.size)), 2),
            )
        )
        cells = st.columns(2)
        for cell, name in zip(cells, ("score", "baseline"), strict=True):
            ratio, se = ratio_with_se(rows[name][1], rows[name][2], rows["pathwise"][1], rows["pathwise"][2])
            label = "Var SF / Var RP (∂μ)" if name == "score" else "Var SF+b / Var RP (∂μ)"
            cell.metric(label, ratio_text(ratio), help=t("reparameterization.vae_ratio_help", se=ratio_text(se)))
        header = (t("reparameterization.col_estimator"), "Var ∂μ₁", "Var ∂μ₂", t("reparameterization.vae_total"))
        st.markdown(md_table(header, data.vae_table(rows)))
        st.caption(t("reparameterization.vae_caption", n=f"{data.VAE_N:,}", seed=seed))
    st.markdown(t("reparameterization.vae_why"))


st.title(t("reparameterization.title"))
intro("reparameterization.intro")
STATE.sync()

st.header(t("reparameterization.graph_title"), anchor="graphs")
before, after = st.columns(2, gap="large")
with before:
    st.markdown(f"**{t('reparameterization.graph_before')}**")
    st.graphviz_chart(graph("sample", presenting()))
    st.caption(t("reparameterization.graph_before_caption"))
with after:
    st.markdown(f"**{t('reparameterization.graph_after')}**")
    st.graphviz_chart(graph("reparam", presenting()))
    st.caption(t("reparameterization.graph_after_caption"))
st.info(t("reparameterization.errata"), icon="📝")

with st.container(horizontal=True, vertical_alignment="bottom"):
    page_seed = STATE.number("seed", t("common.seed"), width=220)
    st.button(t("common.resample"), on_click=STATE.new_seed, help=t("common.resample_help"))
explorer(page_seed)
vae_section(page_seed)
page_footer(
    "reparameterization",
    pathwise_terms,
    score_terms,
    exact_gradient,
    per_sample_variances,
    running_estimates,
    vae_gradient_samples,
)
