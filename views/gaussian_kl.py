"""KL divergence between two univariate Gaussians (eq. 1.4.11; closed form: box after 1.4.13).

Fragments follow what depends on what, so a control redraws only its own charts: the p and q
sliders rerun ``explorer``; the landscape's direction and the check's N and seed rerun only
their nested fragments. The landscape is a live view too (ui/live/kl.py: the browser computes its
cells from p and q, and it follows a drag); its colour key is a live chart
(ui/figures_gaussian_kl.py), so the page loads no Plotly.
"""

import streamlit as st

from ui.components import intro, md_table, metric, num, page_footer, tex
from ui.figures_gaussian_kl import colour_key_chart
from ui.gaussian_kl_data import STATE  # the URL parameters (the lesson uses them too)
from ui.i18n import t
from ui.live.chart import chart_view
from ui.live.kl import kl_landscape, kl_view
from ui.state import option_labels
from vae_core.gaussian import (
    kl_diag_to_standard_normal,
    kl_integrand,
    kl_monte_carlo,
    kl_normal,
    kl_quadrature,
)

CHECK_OPEN = "gaussian_kl_check_open"  # the check expander's state: closed, it computes nothing


def set_q(mu2, sigma2):
    STATE.set("mu2", mu2)
    STATE.set("sigma2", sigma2)


def swap_p_q():
    mu1, sigma1 = STATE.value("mu1"), STATE.value("sigma1")
    STATE.set("mu1", STATE.value("mu2"))
    STATE.set("sigma1", STATE.value("sigma2"))
    set_q(mu1, sigma1)


def presets(mu1, sigma1):
    """Preset buttons under the live view; a click reruns the fragment and the view follows."""
    st.caption(t("common.presets"))
    with st.container(horizontal=True):
        st.button(t("gaussian_kl.preset_equal"), on_click=set_q, args=(mu1, sigma1))
        st.button(t("gaussian_kl.preset_swap"), on_click=swap_p_q)
        st.button(t("gaussian_kl.preset_prior"), on_click=set_q, args=(0.0, 1.0))


def closed_form_latex(mu1, sigma1, mu2, sigma2, kl_pq):
    return (
        r"\mathrm{KL}(p\,\|\,q)=\log\frac{\sigma_2}{\sigma_1}+\frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2}-\frac12"
        rf"=\log\frac{{{tex(sigma2)}}}{{{tex(sigma1)}}}"
        rf"+\frac{{{tex(sigma1)}^2+({tex(mu1)}-{tex(mu2)})^2}}{{2\cdot {tex(sigma2)}^2}}-\frac12"
        rf"={num(kl_pq)}"
    )


@st.fragment
def landscape(mu1, sigma1, mu2, sigma2):
    """The KL over every q with p fixed; its direction toggle reruns only this fragment."""
    st.header(t("gaussian_kl.landscape_title"), anchor="landscape")
    direction = STATE.choice("land", t("gaussian_kl.landscape_which"), option_labels("gaussian_kl.land_"))
    kl_landscape(STATE, mu1, sigma1, mu2, sigma2, direction)  # drawn in the browser (ui/live/kl.py)
    chart_view(STATE, "live_kl_key", colour_key_chart(direction))  # static/live/chart.js: no Plotly
    st.caption(t("gaussian_kl.landscape_caption"))


def vae_connection(mu1, sigma1, mu2, sigma2):
    st.header(t("gaussian_kl.vae_title"), anchor="vae")
    st.markdown(t("gaussian_kl.vae_text"))
    st.latex(
        r"\begin{aligned}&\mathrm{KL}\big(\mathcal N(\mu,\operatorname{diag}\sigma^2)\,\|\,\mathcal N(0,I)\big)"
        r"\\&\quad=\tfrac12\sum_j\big(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2\big)\end{aligned}"
    )
    prior_kl = float(kl_diag_to_standard_normal([mu1], [sigma1]))
    st.markdown(t("gaussian_kl.vae_now"))
    st.latex(rf"\tfrac12\big({tex(mu1)}^2+{tex(sigma1)}^2-1-\log {tex(sigma1)}^2\big)={num(prior_kl)}")
    if mu2 == 0.0 and sigma2 == 1.0:
        st.success(t("gaussian_kl.vae_active"), icon="🔗")


@st.fragment
def check(mu1, sigma1, mu2, sigma2, kl_pq):
    """Closed form vs quadrature vs Monte Carlo, computed only while the expander is open (a closed
    one costs a slider move nothing); opening it, N and the seed rerun only this fragment."""
    box = st.expander(t("common.check"), icon="✅", key=CHECK_OPEN, on_change="rerun")
    if not box.open:
        STATE.keep("n")
        STATE.keep("seed")
        return
    with box:
        left, right = st.columns([1, 1])
        with left:
            n = STATE.select_slider("n", t("gaussian_kl.check_n"))
        with right:
            seed = STATE.number("seed", t("common.seed"))
        quad, quad_err = kl_quadrature(mu1, sigma1, mu2, sigma2)
        mc, mc_se = kl_monte_carlo(mu1, sigma1, mu2, sigma2, n, seed)
        rows = [
            (t("gaussian_kl.check_closed"), num(kl_pq, 6), "—"),
            (t("gaussian_kl.check_quad"), f"{num(quad, 6)} (± {quad_err:.0e})", f"{quad - kl_pq:+.1e}"),
            (
                t("gaussian_kl.check_mc", n=f"{n:,}", seed=seed),
                f"{num(mc, 6)} ± {num(mc_se, 6)}",
                t("common.diff_in_se", diff=f"{mc - kl_pq:+.4f}", z=f"{(mc - kl_pq) / mc_se:+.1f}")
                if mc_se > 0
                else f"{mc - kl_pq:+.1e}",
            ),
        ]
        st.markdown(md_table((t("common.method"), "KL(p‖q)", t("common.difference")), rows))
        st.caption(t("gaussian_kl.check_note"))


@st.fragment
def explorer():
    """Everything that follows p and q. The live view draws while you drag (in the browser); its
    release and the presets rerun only this fragment."""
    mu1, sigma1, mu2, sigma2 = kl_view(STATE)
    presets(mu1, sigma1)
    kl_pq = float(kl_normal(mu1, sigma1, mu2, sigma2))
    kl_qp = float(kl_normal(mu2, sigma2, mu1, sigma1))

    st.header(t("gaussian_kl.formula_title"), anchor="formula")
    left, right, note = st.columns([1, 1, 1.4], vertical_alignment="bottom")
    with left:
        metric("KL(p‖q)", kl_pq)
    with right:
        metric("KL(q‖p)", kl_qp)
    note.caption(t("gaussian_kl.asymmetry", diff=num(kl_pq - kl_qp)))
    st.latex(r"\mathrm{KL}(p\,\|\,q)=\int p(x)\log\frac{p(x)}{q(x)}\,\mathrm{d}x\qquad(1.4.11)")
    st.latex(closed_form_latex(mu1, sigma1, mu2, sigma2, kl_pq))
    st.caption(t("gaussian_kl.formula_caption"))

    land, vae = st.columns([1.15, 1], gap="large")
    with land:
        landscape(mu1, sigma1, mu2, sigma2)
    with vae:
        vae_connection(mu1, sigma1, mu2, sigma2)
    check(mu1, sigma1, mu2, sigma2, kl_pq)


st.title(t("gaussian_kl.title"))
intro("gaussian_kl.intro")
STATE.sync()
explorer()
page_footer("gaussian_kl", kl_normal, kl_integrand, kl_diag_to_standard_normal, kl_quadrature, kl_monte_carlo)
