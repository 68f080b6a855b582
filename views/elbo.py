"""The ELBO: Jensen's gap and log p(x) = ELBO + KL(q‖p(z|x)) on an exact model (eqs. 1.4.1–1.4.10).

Fragments follow what depends on what: part 1's controls rerun only part 1; the model sliders,
q and the optimizer's controls rerun parts 2–4 (all of them show that model and that q, and the
live ledger plays the optimizer's path); the sample size and seed, and the check expander rerun
only their own nested fragments. Two live views draw in the browser while you drag (ui/live/elbo.py):
part 1's Jensen picture and part 2's ledger, which also plays "Optimize q". The plotly figures are
built in ui/figures_elbo.py.
"""

import math

import numpy as np
import streamlit as st

from ui import elbo_data as data
from ui import figures_elbo as fig
from ui.components import intro, md_table, metric, num, page_footer, tex
from ui.i18n import t
from ui.live.elbo import jensen_view, ledger_view
from ui.plots import chart
from ui.state import option_labels
from vae_core import toy_model
from vae_core.jensen import is_convex, lognormal, two_point

STATE = data.STATE  # the URL parameters, in ui/elbo_data.py (the lesson uses them too)
PREV_KEY = "elbo__previous_ledger"  # last ledger shown, for the metric deltas
CHECK_OPEN = "elbo_check_open"  # the check expander's state: closed, it computes nothing


# --- part 1: Jensen's inequality --------------------------------------------------------------


def jensen_choice():
    """f and X's law (a click reruns part 1); λ, x₁, x₂ and σ are the live view's sliders."""
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        f = STATE.choice("f", t("elbo.f_label"), option_labels("elbo.f_"))
    with right:
        dist = STATE.choice("dist", t("elbo.dist_label"), option_labels("elbo.dist_"), widget=st.radio)
    return f, dist


@st.fragment
def jensen_section():
    st.header(t("elbo.s1_title"), anchor="jensen")
    st.markdown(t("elbo.s1_intro"))
    f, dist = jensen_choice()
    params = jensen_view(STATE, f, dist)  # drawn in the browser while you drag; settles here on release
    result = (
        two_point(f, params["x1"], params["x2"], params["lam"]) if dist == "two" else lognormal(f, params["lnsigma"])
    )
    st.caption(t("live_elbo.live_hint"))
    for col, (label, value) in zip(
        st.columns(3),
        (("f(E[X])", result.f_of_mean), ("E[f(X)]", result.mean_of_f), ("|E[f(X)] − f(E[X])|", result.gap)),
        strict=True,
    ):
        with col:
            metric(label, value)
    st.latex(data.jensen_latex(f, dist, params, result, is_convex(f)))
    st.markdown(t("elbo.convex_reads" if is_convex(f) else "elbo.concave_reads"))
    if dist == "lognormal" and f in ("log", "neglog"):
        st.caption(t("elbo.lognormal_gap_note", sigma=tex(params["lnsigma"]), gap=num(result.gap)))
    st.info(t("elbo.erratum_jensen"), icon="📝")


# --- part 2: the ledger -----------------------------------------------------------------------


def model_controls() -> tuple[float, float, float]:
    """The model θ and the data x (a move reruns parts 2–4); q's μ and σ are the live ledger's."""
    st.markdown(f"**:blue[{t('elbo.theta_header')}]**")
    values = []
    for name, col in zip(("x", "w", "noise"), st.columns(3, gap="medium"), strict=True):
        with col:
            values.append(STATE.slider(name, t(f"elbo.{name}")))
    return tuple(values)


def q_notes(toy):
    """Presets under the live ledger (a click reruns parts 2–4 and the view follows), the posterior."""
    st.caption(t("common.presets"))
    with st.container(horizontal=True):
        st.button(t("elbo.preset_prior"), on_click=data.set_q, args=(STATE, 0.0, 1.0))
        st.button(t("elbo.preset_posterior"), on_click=data.set_q_to_posterior, args=(STATE,))
    post_mean, post_sd = (float(v) for v in toy_model.posterior(*toy[:3]))
    st.caption(t("elbo.posterior_now", m=num(post_mean, 3), s=num(post_sd, 3)))
    if not (-4 <= post_mean <= 4 and 0.1 <= post_sd <= 3):
        st.caption(t("elbo.posterior_off_sliders"))
    st.caption(t("elbo.theta_note"))


def ledger_section(toy, ledger):
    data.ledger_metrics(ledger, PREV_KEY)
    for formula in data.ledger_latex(ledger):
        st.latex(formula)
    st.caption(t("elbo.ledger_caption"))
    chart(fig.joint_figure(*toy[:3]))
    st.caption(t("elbo.densities_caption"))


@st.fragment
def check(toy, ledger):
    """The ledger by quadrature, computed only while the expander is open (opening it reruns only this)."""
    box = st.expander(t("common.check"), icon="✅", key=CHECK_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.markdown(md_table(data.check_header(), data.check_rows(ledger, data.cached_quadrature(toy))))
        identity = ledger["lp"] - ledger["elbo"] - ledger["kl"]
        st.caption(t("elbo.check_note", identity=f"{identity:+.1e}"))


# --- part 3: optimize q -----------------------------------------------------------------------


def optimize_section(toy, path, x_range):
    """Not a fragment: the optimizer's settings change the path the live ledger above plays."""
    st.header(t("elbo.s3_title"), anchor="optimize")
    st.markdown(t("elbo.s3_intro"))
    c1, c2, c3 = st.columns([1.1, 1.2, 2], gap="medium")
    with c1:
        STATE.choice("opt", t("elbo.opt_label"), option_labels("elbo.opt_"), widget=st.radio)
    with c2:
        STATE.select_slider("lr", t("elbo.lr_label"))
    with c3:
        k = STATE.slider("step", t("elbo.step_label"))
    lp = float(toy_model.log_evidence(*toy[:3]))
    left, right, note = st.columns([1, 1, 2.2], vertical_alignment="bottom")
    with left:
        metric("ELBO(qₖ)", float(path.elbo[k]), delta=f"{path.elbo[k] - path.elbo[0]:+.4f}" if k else None)
    with right:
        metric(
            "KL(qₖ‖p(z|x))",
            float(path.kl[k]),
            delta=f"{path.kl[k] - path.kl[0]:+.4f}" if k else None,
            delta_color="inverse",
        )
    note.caption(t("elbo.q_at_step", k=k, m=num(path.m[k], 3), s=num(path.s[k], 3), lp=num(lp)))
    chart(fig.optimize_figure(*toy[:3], path, k, x_range))
    key, notes = st.columns([1.15, 1], gap="large")
    with key:
        chart(fig.optimize_key_figure())
        st.caption(t("elbo.land_caption"))
    with notes:
        reached = np.flatnonzero(path.kl < 1e-3)
        if reached.size:
            st.caption(t("elbo.reached", k=int(reached[0])))
        else:
            st.warning(t("elbo.not_reached", kl=num(path.kl[-1])), icon="🐢")
        g_m, g_log_s = toy_model.elbo_gradient(*toy[:3], path.m[k], math.log(path.s[k]))
        st.latex(
            rf"\nabla_{{(\mu_q,\,\log\sigma_q)}}\mathrm{{ELBO}}\big|_{{k={k}}}"
            rf"=\big({{{num(float(g_m))}}},\ {{{num(float(g_log_s))}}}\big)"
        )


# --- part 4: two roads to the same bound, and the Jensen view in samples ------------------------


def derivations(lp, lower, kl):
    road1, road2 = st.columns(2, gap="large")
    with road1:
        st.subheader(t("elbo.road1_title"))
        st.latex(data.ROAD1_LATEX)
        st.latex(rf"{num(lp)}\;\ge\;{num(lower)}")
        st.caption(t("elbo.road1_caption", gap=num(kl)))
    with road2:
        st.subheader(t("elbo.road2_title"))
        st.latex(data.ROAD2_LATEX)
        st.latex(rf"{num(lp)}={num(lower)}+{num(kl)}")
        st.caption(t("elbo.road2_caption"))


@st.fragment
def samples_section(toy, lp, lower, kl):
    st.subheader(t("elbo.samples_title"))
    st.markdown(t("elbo.samples_intro"))
    controls, main = st.columns([1, 2.2], gap="large")
    with controls:
        L = STATE.select_slider("L", t("elbo.L_label"))
        seed = STATE.number("seed", t("common.seed"))
        st.button(t("common.resample"), help=t("common.resample_help"), on_click=STATE.new_seed)
    est, counts, edges = data.cached_weights(toy, L, seed)
    chi2 = float(toy_model.weight_chi_square(*toy))
    with main:
        cols = st.columns(2)
        with cols[0]:
            st.metric("(1/L) Σ log wᵢ", f"{num(est.elbo)} ± {num(est.elbo_se)}")
        with cols[1]:
            st.metric("log (1/L) Σ wᵢ", f"{num(est.log_evidence)} ± {num(est.log_evidence_se)}")
        st.caption(
            t(
                "elbo.mc_caption",
                L=f"{L:,}",
                seed=seed,
                lower=num(lower),
                lp=num(lp),
                z1=f"{(est.elbo - lower) / est.elbo_se:+.1f}" if est.elbo_se > 0 else "0",
                ess=f"{est.ess:,.1f}",
            )
        )
        warning, note = data.bias_note(chi2, L, est.ess)
        if warning:
            st.warning(note, icon="⚠️")
        else:
            st.caption(note)
        chart(fig.weights_figure(counts, edges, est.elbo, est.log_evidence, lp, lower))
        st.caption(t("elbo.hist_caption", gap=num(kl)))


# --- the page -------------------------------------------------------------------------------


@st.fragment
def model_sections():
    """Parts 2–4: everything that follows the model and q. The presets live here too."""
    st.header(t("elbo.s2_title"), anchor="ledger")
    st.markdown(t("elbo.s2_intro"))
    st.latex(data.TOY_LATEX)
    st.info(t("elbo.erratum_posterior"), icon="📝")
    x, w, noise = model_controls()
    method, lr = STATE.value("opt"), STATE.value("lr")  # part 3's widgets; the live ledger plays that path
    toy = toy_model.Toy(x, w, noise, STATE.value("qmu"), STATE.value("qsigma"))
    path = data.cached_path(toy, lr, method == "natural")
    ledger_view(STATE, toy, path, method, lr)  # q and the ledger move in the browser; settle here on release
    q_notes(toy)
    ledger = data.ledger_numbers(toy)
    lp, lower = ledger["lp"], ledger["elbo"]
    ledger_section(toy, ledger)
    check(toy, ledger)

    optimize_section(toy, path, fig.ledger_range(lp, lower))

    st.header(t("elbo.s4_title"), anchor="derivations")
    st.markdown(t("elbo.s4_intro"))
    derivations(lp, lower, ledger["kl"])
    samples_section(toy, lp, lower, ledger["kl"])


st.title(t("elbo.title"))
intro("elbo.intro")
st.markdown(t("elbo.contents"))
STATE.sync()
jensen_section()
model_sections()
page_footer(
    "elbo",
    toy_model.log_evidence,
    toy_model.posterior,
    toy_model.elbo,
    toy_model.posterior_kl,
    toy_model.elbo_gradient,
    toy_model.ascend_elbo,
    toy_model.weight_estimates,
    two_point,
    lognormal,
)
