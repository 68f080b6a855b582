"""The ELBO: Jensen's gap and log p(x) = ELBO + KL(q‖p(z|x)) on an exact model (eqs. 1.4.1–1.4.10).

Fragments follow what depends on what: part 1's controls rerun only part 1; the model and q
sliders rerun parts 2–4 (all of them show that model and that q); the optimizer's controls, the
sample size and seed, and the check expander rerun only their own nested fragments. The figures
are built in ui/figures_elbo.py.
"""

import math
import secrets

import numpy as np
import streamlit as st

from ui.components import metric, num, page_footer, tex
from ui.figures_elbo import (
    densities_figure,
    jensen_figure,
    ledger_figure,
    ledger_range,
    optimize_figure,
    optimize_key_figure,
    weights_figure,
)
from ui.i18n import t
from ui.plots import chart
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState, option_labels
from vae_core.jensen import DISTRIBUTIONS, FUNCTIONS, is_convex, lognormal, two_point
from vae_core.toy_model import (
    ascend_elbo,
    elbo,
    elbo_gradient,
    log_evidence,
    posterior,
    posterior_kl,
    prior_kl,
    quadrature_check,
    reconstruction_term,
    weight_chi_square,
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
    FloatParam("x", 1.5, -4.0, 4.0, 0.01),
    FloatParam("w", 1.0, -3.0, 3.0, 0.01),
    FloatParam("noise", 0.5, 0.1, 3.0, 0.01),
    FloatParam("qmu", 0.0, -4.0, 4.0, 0.01),
    FloatParam("qsigma", 1.0, 0.1, 3.0, 0.01),
    ChoiceParam("opt", "natural", ("natural", "plain")),
    ChoiceParam("lr", 0.2, (0.05, 0.1, 0.2, 0.5, 1.0)),
    IntParam("step", 0, 0, STEPS),
    ChoiceParam("L", 1000, (10, 100, 1_000, 10_000, 100_000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
PREV_KEY = "elbo__previous_ledger"  # last ledger shown, for the metric deltas
CHECK_OPEN = "elbo_check_open"  # the check expander's state: closed, it computes nothing
F_TEX = {"log": r"\log {}", "sqrt": r"\sqrt{{{}}}", "neglog": r"-\log {}", "square": r"{}^2"}
WEIGHTED_TEX = {"log": r"{w}\log {a}", "sqrt": r"{w}\sqrt{{{a}}}", "neglog": r"{w}\,(-\log {a})",
                "square": r"{w}\cdot {a}^2"}
LOGNORMAL_MEAN_F_TEX = {"log": "0", "neglog": "0", "square": r"e^{2\sigma^2}", "sqrt": r"e^{\sigma^2/8}"}


def keep(name):
    """Keep a hidden control's value (and its URL parameter) while its widget is not shown."""
    value = STATE.value(name)
    STATE.set(name, value)
    STATE.write(name, value)
    return value


# --- part 1: Jensen's inequality --------------------------------------------------------------


def jensen_controls():
    f = STATE.choice("f", t("elbo.f_label"), option_labels("elbo.f_"))
    dist = STATE.choice("dist", t("elbo.dist_label"), option_labels("elbo.dist_"), widget=st.radio)
    if dist == "two":
        params = {"lam": STATE.slider("lam", t("elbo.lam")), "x1": STATE.slider("x1", t("elbo.x1")),
                  "x2": STATE.slider("x2", t("elbo.x2"))}
        keep("lnsigma")
    else:
        params = {"lnsigma": STATE.slider("lnsigma", t("elbo.lnsigma"))}
        for name in ("lam", "x1", "x2"):
            keep(name)
    return f, dist, params


def jensen_latex(f, dist, params, result):
    rel = r"\;\le\;" if is_convex(f) else r"\;\ge\;"
    if dist == "two":
        lam, x1, x2 = params["lam"], params["x1"], params["x2"]
        inner = rf"\big({tex(lam)}\cdot{tex(x1)}+{tex(1 - lam)}\cdot{tex(x2)}\big)"
        terms = (WEIGHTED_TEX[f].format(w=tex(lam), a=tex(x1)) + "+"
                 + WEIGHTED_TEX[f].format(w=tex(1 - lam), a=tex(x2)))
        return (rf"\begin{{aligned}}f(\mathbb E[X])&={F_TEX[f].format(inner)}={num(result.f_of_mean)}\\"
                rf"&{rel}\mathbb E[f(X)]={terms}={num(result.mean_of_f)}\end{{aligned}}")
    wrap = (r"\big(", r"\big)") if f == "square" else ("", "")  # (e^a)^2, not the invalid e^a^2
    symbolic = F_TEX[f].format(wrap[0] + r"e^{\sigma^2/2}" + wrap[1])
    numeric = F_TEX[f].format(wrap[0] + f"e^{{{tex(params['lnsigma'])}^2/2}}" + wrap[1])
    return (rf"\begin{{aligned}}f(\mathbb E[X])&={symbolic}={numeric}={num(result.f_of_mean)}\\"
            rf"&{rel}\mathbb E[f(X)]={LOGNORMAL_MEAN_F_TEX[f]}={num(result.mean_of_f)}\end{{aligned}}")


@st.fragment
def jensen_section():
    st.header(t("elbo.s1_title"), anchor="part1")
    st.markdown(t("elbo.s1_intro"))
    controls, main = st.columns([1, 2.2], gap="large")
    with controls:
        f, dist, params = jensen_controls()
    result = two_point(f, params["x1"], params["x2"], params["lam"]) if dist == "two" \
        else lognormal(f, params["lnsigma"])
    with main:
        for col, (label, value) in zip(st.columns(3), (("f(E[X])", result.f_of_mean), ("E[f(X)]", result.mean_of_f),
                                                        ("|E[f(X)] − f(E[X])|", result.gap)), strict=True):
            with col:
                metric(label, value)
        chart(jensen_figure(f, dist, params, result, curve_name=t(f"elbo.f_{f}"), chord=t("elbo.chord"),
                            dist_of_x=t("elbo.dist_of_x"), gap_label=t("elbo.gap_segment", gap=num(result.gap)),
                            prob_axis=t("elbo.prob_axis")))
        st.latex(jensen_latex(f, dist, params, result))
        st.markdown(t("elbo.convex_reads" if is_convex(f) else "elbo.concave_reads"))
        if dist == "lognormal" and f in ("log", "neglog"):
            st.caption(t("elbo.lognormal_gap_note", sigma=tex(params["lnsigma"]), gap=num(result.gap)))
    st.info(t("elbo.erratum_jensen"), icon="📝")


# --- part 2: the ledger -----------------------------------------------------------------------


def set_q(mu, sigma):
    STATE.set("qmu", STATE.params["qmu"].snap(mu))
    STATE.set("qsigma", STATE.params["qsigma"].snap(sigma))


def set_q_to_posterior():
    mean, sd = posterior(STATE.value("x"), STATE.value("w"), STATE.value("noise"))
    set_q(float(mean), float(sd))


def model_controls():
    """Sliders → (x, w, noise) for the model and data, (qmu, qsigma) for q."""
    st.markdown(f"**:blue[{t('elbo.theta_header')}]**")
    x = STATE.slider("x", t("elbo.x"))
    w = STATE.slider("w", t("elbo.w"))
    noise = STATE.slider("noise", t("elbo.noise"))
    st.markdown(f"**:orange[{t('elbo.q_header')}]**")
    qmu = STATE.slider("qmu", t("elbo.qmu"))
    qsigma = STATE.slider("qsigma", t("elbo.qsigma"))
    st.caption(t("common.presets"))
    with st.container(horizontal=True):
        st.button(t("elbo.preset_prior"), on_click=set_q, args=(0.0, 1.0))
        st.button(t("elbo.preset_posterior"), on_click=set_q_to_posterior)
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    st.caption(t("elbo.posterior_now", m=num(post_mean, 3), s=num(post_sd, 3)))
    if not (-4 <= post_mean <= 4 and 0.1 <= post_sd <= 3):
        st.caption(t("elbo.posterior_off_sliders"))
    st.caption(t("elbo.theta_note"))
    return x, w, noise, qmu, qsigma


def ledger_metrics(ledger):
    """log p(x), ELBO and KL, with their change since the last move of any ledger slider."""
    previous = st.session_state.get(PREV_KEY)
    st.session_state[PREV_KEY] = ledger
    moved = previous is not None and previous["inputs"] != ledger["inputs"]
    for col, (label, key, colour) in zip(st.columns(3), (("log p(x)", "lp", "normal"), ("ELBO", "elbo", "normal"),
                                                         ("KL(q‖p(z|x))", "kl", "inverse")), strict=True):
        change = ledger[key] - previous[key] if moved else None
        if change is None:
            delta = {}
        elif abs(change) < 5e-5:
            delta = {"delta": "±0.0000", "delta_color": "off", "delta_arrow": "off"}
        else:
            delta = {"delta": f"{change:+.4f}", "delta_color": colour}
        with col:
            metric(label, ledger[key], **delta)
    if moved and abs(ledger["lp"] - previous["lp"]) >= 5e-5:
        st.info(t("elbo.theta_moved", delta=f"{ledger['lp'] - previous['lp']:+.4f}"), icon="🧭")
    elif moved:
        st.caption(t("elbo.q_moved"))


def ledger_section(x, w, noise, qmu, qsigma, ledger):
    lp, lower, kl, recon, pkl = (ledger[k] for k in ("lp", "elbo", "kl", "recon", "prior_kl"))
    ledger_metrics(ledger)
    chart(ledger_figure(lp, lower, recon, pkl, row_ledger=t("elbo.bar_ledger"), row_terms=t("elbo.bar_terms"),
                        nats_axis=t("elbo.nats_axis")))
    st.caption(t("elbo.ledger_caption"))
    st.latex(rf"\underbrace{{\log p(x)}}_{{{num(lp)}}}=\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
             rf"+\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z\mid x)\big)}}_{{{num(kl)}}}\qquad(1.4.10)")
    st.latex(rf"\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
             rf"=\underbrace{{\mathbb E_q[\log p(x\mid z)]}}_{{{num(recon)}}}"
             rf"-\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z)\big)}}_{{{num(pkl)}}}\qquad(1.4.12)")
    chart(densities_figure(x, w, noise, qmu, qsigma, slice_label=t("elbo.slice", p=num(math.exp(lp))),
                           title_joint=t("elbo.fig_joint"), title_densities=t("elbo.fig_densities"),
                           observed=t("elbo.observed_x", x=tex(x))))
    st.caption(t("elbo.densities_caption"))


@st.cache_data(max_entries=32)
def cached_quadrature(x, w, noise, qmu, qsigma):
    return quadrature_check(x, w, noise, qmu, qsigma)


@st.fragment
def check(x, w, noise, qmu, qsigma, ledger):
    """The ledger by quadrature, computed only while the expander is open (opening it reruns only this)."""
    box = st.expander(t("common.check"), icon="✅", key=CHECK_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        quad = cached_quadrature(x, w, noise, qmu, qsigma)
        rows = [("log p(x)", ledger["lp"], quad["log_evidence"]), ("ELBO", ledger["elbo"], quad["elbo"]),
                ("KL(q‖p(z|x))", ledger["kl"], quad["posterior_kl"])]
        header = (f"| | {t('elbo.check_closed')} | {t('elbo.check_quad')} | {t('common.difference')} |\n"
                  "|---|---|---|---|\n")
        st.markdown(header + "\n".join(f"| {a} | {num(b, 8)} | {num(c, 8)} | {c - b:+.1e} |" for a, b, c in rows))
        identity = ledger["lp"] - ledger["elbo"] - ledger["kl"]
        st.caption(t("elbo.check_note", identity=f"{identity:+.1e}"))


# --- part 3: optimize q -----------------------------------------------------------------------


@st.cache_data(max_entries=64)
def cached_path(x, w, noise, qmu, qsigma, lr, natural):
    return ascend_elbo(x, w, noise, qmu, qsigma, steps=STEPS, lr=lr, natural=natural)


@st.fragment
def optimize_section(x, w, noise, qmu, qsigma, x_range):
    st.header(t("elbo.s3_title"), anchor="part3")
    st.markdown(t("elbo.s3_intro"))
    c1, c2, c3 = st.columns([1.1, 1.2, 2], gap="medium")
    with c1:
        method = STATE.choice("opt", t("elbo.opt_label"), option_labels("elbo.opt_"), widget=st.radio)
    with c2:
        lr = STATE.select_slider("lr", t("elbo.lr_label"))
    with c3:
        k = STATE.slider("step", t("elbo.step_label"))
    path = cached_path(x, w, noise, qmu, qsigma, lr, method == "natural")
    lp = float(log_evidence(x, w, noise))
    left, right, note = st.columns([1, 1, 2.2], vertical_alignment="bottom")
    with left:
        metric("ELBO(qₖ)", float(path.elbo[k]), delta=f"{path.elbo[k] - path.elbo[0]:+.4f}" if k else None)
    with right:
        metric("KL(qₖ‖p(z|x))", float(path.kl[k]), delta=f"{path.kl[k] - path.kl[0]:+.4f}" if k else None,
               delta_color="inverse")
    note.caption(t("elbo.q_at_step", k=k, m=num(path.m[k], 3), s=num(path.s[k], 3), lp=num(lp)))
    chart(optimize_figure(x, w, noise, path, k, x_range, row_ledger=t("elbo.bar_ledger"),
                          nats_axis=t("elbo.nats_axis"), sigma_axis=t("elbo.sigma_log_axis"),
                          step_axis=t("elbo.step_axis"), at_step=t("elbo.at_step", k=k)))
    key, notes = st.columns([1.15, 1], gap="large")
    with key:
        chart(optimize_key_figure(t("elbo.land_colour"), path=t("elbo.path"), optimum=t("elbo.optimum"),
                                  start=t("elbo.start"), step=t("elbo.step_axis")))
        st.caption(t("elbo.land_caption"))
    with notes:
        reached = np.flatnonzero(path.kl < 1e-3)
        if reached.size:
            st.caption(t("elbo.reached", k=int(reached[0])))
        else:
            st.warning(t("elbo.not_reached", kl=num(path.kl[-1])), icon="🐢")
        g_m, g_log_s = elbo_gradient(x, w, noise, path.m[k], math.log(path.s[k]))
        st.latex(rf"\nabla_{{(\mu_q,\,\log\sigma_q)}}\mathrm{{ELBO}}\big|_{{k={k}}}"
                 rf"=\big({{{num(float(g_m))}}},\ {{{num(float(g_log_s))}}}\big)")


# --- part 4: two roads to the same bound, and the Jensen view in samples ------------------------


def derivations(lp, lower, kl):
    road1, road2 = st.columns(2, gap="large")
    with road1:
        st.subheader(t("elbo.road1_title"))
        st.latex(
            r"\begin{aligned}\log p(x)&=\log\int p(x,z)\,\mathrm dz\qquad(1.4.1)\\"
            r"&=\log\int q(z)\,\frac{p(x,z)}{q(z)}\,\mathrm dz\qquad(1.4.3)\\"
            r"&=\log\mathbb E_{q}\Big[\frac{p(x,z)}{q(z)}\Big]\qquad(1.4.4)\\"
            r"&\ge\mathbb E_{q}\Big[\log\frac{p(x,z)}{q(z)}\Big]=\mathrm{ELBO}\qquad(1.4.5)\end{aligned}"
        )
        st.latex(rf"{num(lp)}\;\ge\;{num(lower)}")
        st.caption(t("elbo.road1_caption", gap=num(kl)))
    with road2:
        st.subheader(t("elbo.road2_title"))
        st.latex(
            r"\begin{aligned}\log p(x)&=\log p(x)\int q(z)\,\mathrm dz\qquad(1.4.7)\\"
            r"&=\mathbb E_q[\log p(x)]\qquad(1.4.8)\\"
            r"&=\mathbb E_q\Big[\log\frac{p(x,z)}{p(z\mid x)}\Big]\qquad(1.4.2)\\"
            r"&=\mathbb E_q\Big[\log\frac{p(x,z)}{q(z)}\Big]\\"
            r"&\qquad+\mathbb E_q\Big[\log\frac{q(z)}{p(z\mid x)}\Big]\qquad(1.4.9)\\"
            r"&=\mathrm{ELBO}+\mathrm{KL}\big(q(z)\,\|\,p(z\mid x)\big)\qquad(1.4.10)\end{aligned}"
        )
        st.latex(rf"{num(lp)}={num(lower)}+{num(kl)}")
        st.caption(t("elbo.road2_caption"))


@st.cache_data(max_entries=32)
def cached_weights(x, w, noise, qmu, qsigma, L, seed):
    """Monte Carlo summary plus a 60-bin histogram of log w (the raw draws stay out of the cache)."""
    est = weight_estimates(x, w, noise, qmu, qsigma, L, seed)
    counts, edges = np.histogram(est.log_w, bins=60)
    return est._replace(log_w=None), counts, edges


def resample():
    STATE.set("seed", secrets.randbelow(2**31))


@st.fragment
def samples_section(x, w, noise, qmu, qsigma, lp, lower, kl):
    st.subheader(t("elbo.samples_title"))
    st.markdown(t("elbo.samples_intro"))
    controls, main = st.columns([1, 2.2], gap="large")
    with controls:
        L = STATE.select_slider("L", t("elbo.L_label"))
        seed = STATE.number("seed", t("common.seed"))
        st.button(t("common.resample"), help=t("common.resample_help"), on_click=resample)
    est, counts, edges = cached_weights(x, w, noise, qmu, qsigma, L, seed)
    chi2 = float(weight_chi_square(x, w, noise, qmu, qsigma))
    with main:
        cols = st.columns(2)
        with cols[0]:
            st.metric("(1/L) Σ log wᵢ", f"{num(est.elbo)} ± {num(est.elbo_se)}")
        with cols[1]:
            st.metric("log (1/L) Σ wᵢ", f"{num(est.log_evidence)} ± {num(est.log_evidence_se)}")
        st.caption(t("elbo.mc_caption", L=f"{L:,}", seed=seed, lower=num(lower), lp=num(lp),
                     z1=f"{(est.elbo - lower) / est.elbo_se:+.1f}" if est.elbo_se > 0 else "0",
                     ess=f"{est.ess:,.1f}"))
        if not math.isfinite(chi2):
            st.warning(t("elbo.mc_heavy", ess=f"{est.ess:,.1f}"), icon="⚠️")
        elif chi2 / L > 0.1:  # the delta method needs L ≫ χ²
            st.warning(t("elbo.mc_too_few", chi2=f"{chi2:.3g}", ess=f"{est.ess:,.1f}"), icon="⚠️")
        else:
            st.caption(t("elbo.mc_bias", bias=num(chi2 / (2 * L), 6), se=num(math.sqrt(chi2 / L), 6)))
        chart(weights_figure(counts, edges, est.elbo, est.log_evidence, lp, lower, hist_name=t("elbo.hist_name"),
                             logw_axis=t("elbo.logw_axis"), count_axis=t("elbo.count_axis")))
        st.caption(t("elbo.hist_caption", gap=num(kl)))


# --- the page -------------------------------------------------------------------------------


@st.fragment
def model_sections():
    """Parts 2–4: everything that follows the model and q. The presets live here too."""
    st.header(t("elbo.s2_title"), anchor="part2")
    st.markdown(t("elbo.s2_intro"))
    st.latex(
        r"\begin{aligned}&p(z)=\mathcal N(0,1),\quad p(x\mid z)=\mathcal N(wz,\ \sigma_\varepsilon^2)"
        r"\ \Rightarrow\ p(x)=\mathcal N(0,\ w^2+\sigma_\varepsilon^2)\qquad(1.4.1)\\"
        r"&p(z\mid x)=\frac{p(x,z)}{p(x)}=\mathcal N\Big(\frac{wx}{w^2+\sigma_\varepsilon^2},\ "
        r"\frac{\sigma_\varepsilon^2}{w^2+\sigma_\varepsilon^2}\Big)\qquad(1.4.2),"
        r"\qquad q(z)=\mathcal N(\mu_q,\ \sigma_q^2)\end{aligned}"
    )
    st.info(t("elbo.erratum_posterior"), icon="📝")
    controls, main = st.columns([1, 2.2], gap="large")
    with controls:
        x, w, noise, qmu, qsigma = model_controls()
    lp, lower = float(log_evidence(x, w, noise)), float(elbo(x, w, noise, qmu, qsigma))
    ledger = {"inputs": (x, w, noise, qmu, qsigma), "lp": lp, "elbo": lower,
              "kl": float(posterior_kl(x, w, noise, qmu, qsigma)),
              "recon": float(reconstruction_term(x, w, noise, qmu, qsigma)), "prior_kl": float(prior_kl(qmu, qsigma))}
    with main:
        ledger_section(x, w, noise, qmu, qsigma, ledger)
    check(x, w, noise, qmu, qsigma, ledger)

    optimize_section(x, w, noise, qmu, qsigma, ledger_range(lp, lower))

    st.header(t("elbo.s4_title"), anchor="part4")
    st.markdown(t("elbo.s4_intro"))
    derivations(lp, lower, ledger["kl"])
    samples_section(x, w, noise, qmu, qsigma, lp, lower, ledger["kl"])


st.title(t("elbo.title"))
st.markdown(t("elbo.intro"))
st.markdown(t("elbo.contents"))
STATE.sync()
jensen_section()
model_sections()
page_footer("elbo", log_evidence, posterior, elbo, posterior_kl, elbo_gradient, ascend_elbo, weight_estimates,
            two_point, lognormal)
