"""KL divergence between two univariate Gaussians (eq. 1.4.11; closed form: box after 1.4.12)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ui.components import GAP_RED, NEG_PURPLE, P_BLUE, Q_ORANGE, metric, num, show_code, tex
from ui.i18n import t
from ui.plots import PLOTLY_CONFIG, log_ticks, style
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState, option_labels
from vae_core.gaussian import (
    kl_diag_to_standard_normal,
    kl_integrand,
    kl_monte_carlo,
    kl_normal,
    kl_quadrature,
    normal_pdf,
)

MU_RANGE = {"lo": -5.0, "hi": 5.0, "step": 0.01}
SIGMA_RANGE = {"lo": 0.1, "hi": 5.0, "step": 0.01}
STATE = UrlState(
    "kl",
    FloatParam("mu1", 0.0, **MU_RANGE),
    FloatParam("sigma1", 1.0, **SIGMA_RANGE),
    FloatParam("mu2", 1.0, **MU_RANGE),
    FloatParam("sigma2", 1.5, **SIGMA_RANGE),
    ChoiceParam("land", "pq", ("pq", "qp")),
    ChoiceParam("n", 1000, (100, 1_000, 10_000, 100_000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
LANDSCAPE_MU = np.linspace(MU_RANGE["lo"], MU_RANGE["hi"], 61)
LANDSCAPE_SIGMA = np.geomspace(SIGMA_RANGE["lo"], SIGMA_RANGE["hi"], 61)
KL_FLOOR = 1e-3  # log-scale colouring needs KL > 0; the minimum itself is marked with a star


def set_q(mu2, sigma2):
    STATE.set("mu2", mu2)
    STATE.set("sigma2", sigma2)


def swap_p_q():
    mu1, sigma1 = STATE.value("mu1"), STATE.value("sigma1")
    STATE.set("mu1", STATE.value("mu2"))
    STATE.set("sigma1", STATE.value("sigma2"))
    set_q(mu1, sigma1)


def kl_controls():
    """Sliders and presets → (μ₁, σ₁, μ₂, σ₂)."""
    st.markdown(f"**:blue[{t('kl.p_header')}]**")
    mu1 = STATE.slider("mu1", t("kl.mu1"))
    sigma1 = STATE.slider("sigma1", t("kl.sigma1"))
    st.markdown(f"**:orange[{t('kl.q_header')}]**")
    mu2 = STATE.slider("mu2", t("kl.mu2"))
    sigma2 = STATE.slider("sigma2", t("kl.sigma2"))
    st.caption(t("common.presets"))
    with st.container(horizontal=True):
        st.button(t("kl.preset_equal"), on_click=set_q, args=(mu1, sigma1))
        st.button(t("kl.preset_swap"), on_click=swap_p_q)
        st.button(t("kl.preset_prior"), on_click=set_q, args=(0.0, 1.0))
    return mu1, sigma1, mu2, sigma2


def x_grid(mu1, sigma1, mu2, sigma2):
    """A plotting grid covering both densities, dense near each so narrow peaks stay smooth."""
    lo = min(mu1 - 4 * sigma1, mu2 - 4 * sigma2)
    hi = max(mu1 + 4 * sigma1, mu2 + 4 * sigma2)
    near = [np.linspace(m - 4 * s, m + 4 * s, 120) for m, s in ((mu1, sigma1), (mu2, sigma2))]
    return np.unique(np.concatenate([np.linspace(lo, hi, 200), *near]))


def density_figure(mu1, sigma1, mu2, sigma2, kl_pq):
    x = x_grid(mu1, sigma1, mu2, sigma2)
    integrand = kl_integrand(x, mu1, sigma1, mu2, sigma2)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.55, 0.45],
        subplot_titles=(t("kl.fig_density"), t("kl.fig_integrand")),
    )
    fig.add_trace(go.Scatter(x=x, y=normal_pdf(x, mu1, sigma1), name="p(x)", line_color=P_BLUE), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=normal_pdf(x, mu2, sigma2), name="q(x)", line_color=Q_ORANGE), 1, 1)
    for part, colour, label in (
        (np.maximum(integrand, 0), GAP_RED, "kl.integrand_pos"),
        (np.minimum(integrand, 0), NEG_PURPLE, "kl.integrand_neg"),
    ):
        fig.add_trace(
            go.Scatter(x=x, y=part, fill="tozeroy", mode="none", fillcolor=colour, opacity=0.45,
                       name=t(label), hoverinfo="skip"), 2, 1,
        )
    fig.add_trace(
        go.Scatter(x=x, y=integrand, name="p·log(p/q)", line={"color": GAP_RED, "width": 1.5}), 2, 1
    )
    fig.add_annotation(
        text=t("kl.area_note", kl=num(kl_pq)), xref="x2 domain", yref="y2 domain", x=0.99, y=0.95,
        showarrow=False, font={"color": GAP_RED, "size": 14}, bgcolor="rgba(255,255,255,0.8)",
    )
    fig.update_xaxes(title_text="x", row=2, col=1)
    return style(fig, height=520, legend_top=False).update_layout(
        hovermode="x unified", legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}
    )


def landscape_figure(mu1, sigma1, mu2, sigma2, direction):
    m2, s2 = np.meshgrid(LANDSCAPE_MU, LANDSCAPE_SIGMA)  # rows: σ₂, columns: μ₂
    kl = kl_normal(mu1, sigma1, m2, s2) if direction == "pq" else kl_normal(m2, s2, mu1, sigma1)
    z = np.log10(np.maximum(kl, KL_FLOOR))
    fig = go.Figure(
        go.Heatmap(
            x=LANDSCAPE_MU, y=LANDSCAPE_SIGMA, z=z, customdata=kl, colorscale="Viridis",
            colorbar={"title": {"text": t(f"kl.land_{direction}")}, **log_ticks(-3, 4)},
            zmin=-3, zmax=4, hovertemplate="μ₂=%{x:.2f}<br>σ₂=%{y:.2f}<br>KL=%{customdata:.4f}<extra></extra>",
        )
    )
    fig.add_trace(go.Scatter(x=[mu1], y=[sigma1], mode="markers", name=t("kl.minimum"),
                             marker={"symbol": "star", "size": 16, "color": "white",
                                     "line": {"color": "black", "width": 1}}))
    fig.add_trace(go.Scatter(x=[mu2], y=[sigma2], mode="markers", name=t("kl.current_q"),
                             marker={"symbol": "x", "size": 14, "color": Q_ORANGE,
                                     "line": {"color": "black", "width": 1}}))
    fig.update_xaxes(title_text="μ₂")
    fig.update_yaxes(title_text="σ₂", type="log", tickvals=[0.1, 0.2, 0.5, 1, 2, 5])
    return style(fig, height=420, legend_top=False).update_layout(
        legend={"orientation": "h", "y": -0.2, "x": 0}
    )


def closed_form_latex(mu1, sigma1, mu2, sigma2, kl_pq):
    return (
        r"\mathrm{KL}(p\,\|\,q)=\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2}-\frac12"
        rf"=\log\frac{{{tex(sigma2)}}}{{{tex(sigma1)}}}"
        rf"+\frac{{{tex(sigma1)}^2+({tex(mu1)}-{tex(mu2)})^2}}{{2\cdot {tex(sigma2)}^2}}-\frac12"
        rf"={num(kl_pq)}"
    )


def check_expander(mu1, sigma1, mu2, sigma2, kl_pq):
    with st.expander(t("common.check"), icon="✅"):
        left, right = st.columns([1, 1])
        n = left.select_slider(t("kl.check_n"), options=STATE.params["n"].options, key=STATE.key("n"))
        STATE.write("n", n)
        seed = right.number_input(t("common.seed"), 0, 2**31 - 1, step=1, key=STATE.key("seed"))
        STATE.write("seed", seed)
        quad, quad_err = kl_quadrature(mu1, sigma1, mu2, sigma2)
        mc, mc_se = kl_monte_carlo(mu1, sigma1, mu2, sigma2, n, seed)
        rows = [
            (t("kl.check_closed"), num(kl_pq, 6), "—"),
            (t("kl.check_quad"), f"{num(quad, 6)} (± {quad_err:.0e})", f"{quad - kl_pq:+.1e}"),
            (t("kl.check_mc", n=f"{n:,}", seed=seed), f"{num(mc, 6)} ± {num(mc_se, 6)}",
             t("common.diff_in_se", diff=f"{mc - kl_pq:+.4f}", z=f"{(mc - kl_pq) / mc_se:+.1f}")
             if mc_se > 0 else f"{mc - kl_pq:+.1e}"),
        ]
        header = f"| {t('common.method')} | KL(p‖q) | {t('common.difference')} |\n|---|---|---|\n"
        st.markdown(header + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))
        st.caption(t("kl.check_note"))


@st.fragment
def explorer():
    controls, figure = st.columns([1, 2.2], gap="large")
    with controls:
        mu1, sigma1, mu2, sigma2 = kl_controls()
    kl_pq = float(kl_normal(mu1, sigma1, mu2, sigma2))
    kl_qp = float(kl_normal(mu2, sigma2, mu1, sigma1))
    with figure:
        left, right, note = st.columns([1, 1, 1.4], vertical_alignment="bottom")
        with left:
            metric("KL(p‖q)", kl_pq)
        with right:
            metric("KL(q‖p)", kl_qp)
        note.caption(t("kl.asymmetry", diff=num(kl_pq - kl_qp)))
        st.plotly_chart(density_figure(mu1, sigma1, mu2, sigma2, kl_pq), config=PLOTLY_CONFIG)

    st.subheader(t("kl.formula_title"))
    st.latex(r"\mathrm{KL}(p\,\|\,q)=\int p(x)\log\frac{p(x)}{q(x)}\,\mathrm{d}x\qquad(1.4.11)")
    st.latex(closed_form_latex(mu1, sigma1, mu2, sigma2, kl_pq))
    st.caption(t("kl.formula_caption"))

    land, vae = st.columns([1.15, 1], gap="large")
    with land:
        st.subheader(t("kl.landscape_title"))
        direction = STATE.choice("land", t("kl.landscape_which"), option_labels("kl.land_"))
        st.plotly_chart(landscape_figure(mu1, sigma1, mu2, sigma2, direction), config=PLOTLY_CONFIG)
        st.caption(t("kl.landscape_caption"))
    with vae:
        st.subheader(t("kl.vae_title"))
        st.markdown(t("kl.vae_text"))
        st.latex(
            r"\begin{aligned}&\mathrm{KL}\big(\mathcal N(\mu,\operatorname{diag}\sigma^2)\,\|\,\mathcal N(0,I)\big)"
            r"\\&\quad=\tfrac12\sum_j\big(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2\big)\end{aligned}"
        )
        prior_kl = float(kl_diag_to_standard_normal([mu1], [sigma1]))
        st.markdown(t("kl.vae_now"))
        st.latex(
            rf"\tfrac12\big({tex(mu1)}^2+{tex(sigma1)}^2-1-\log {tex(sigma1)}^2\big)={num(prior_kl)}"
        )
        if mu2 == 0.0 and sigma2 == 1.0:
            st.success(t("kl.vae_active"), icon="🔗")
    check_expander(mu1, sigma1, mu2, sigma2, kl_pq)


st.title(t("kl.title"))
st.markdown(t("kl.intro"))
STATE.sync()
explorer()
with st.expander(t("kl.try_title"), icon="🧪"):
    st.markdown(t("kl.try_text"))
show_code(kl_normal, kl_integrand, kl_diag_to_standard_normal, kl_quadrature, kl_monte_carlo)
