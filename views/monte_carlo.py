"""Monte Carlo estimates as L grows: the chapter's Monte Carlo box, eq. 1.4.13, the CLT and the IWAE bound.

The running estimates are a live view (ui/live/mc.py): play grows n from 1 to L and a scrubber moves
it back and forth in the browser, from the server's one seeded computation. A slider move re-sends
only what depends on it (the browser redraws each changed chart from
scratch): everything lives in the ``explorer`` fragment, the errors and IWAE charts are drawn by
the live layer from the server's numbers (ui/live/chart.py: no Plotly figure to rebuild), the
histogram comes out byte-identical and is skipped, and the histogram's own L reruns only its
fragment. The figures are in ui/figures_monte_carlo.py, the caches and tables in ui/monte_carlo_data.py, the
sampling (in bounded blocks) in vae_core/monte_carlo.py.
"""

import numpy as np
import streamlit as st

from ui import monte_carlo_data as data
from ui.components import intro, md_table, metric_note, num, page_footer, tex
from ui.figures_monte_carlo import error_chart, histogram_chart, iwae_chart
from ui.i18n import count as count_text
from ui.i18n import t
from ui.live.chart import chart_view
from ui.live.mc import mc_view
from ui.state import option_labels
from ui.toy import TOY_NAMES
from vae_core.monte_carlo import (
    TOY_TARGETS,
    chi_square,
    evaluate,
    exact_moments,
    first_draws,
    loglog_slope,
    pooled_estimate,
    running_log_mean_exp,
    running_mean_se,
    sample,
)
from vae_core.toy_model import Toy, posterior_kl

STATE = data.STATE  # the URL parameters, in ui/monte_carlo_data.py (the lesson uses them too)


def mc_controls():
    """Widgets → (target, L, runs, seed, toy)."""
    target = STATE.choice("target", t("monte_carlo.target"), option_labels("monte_carlo.target_"), widget=st.selectbox)
    L = STATE.select_slider(
        "L", t("monte_carlo.L"), format_func=count_text, on_change=STATE.set, args=("n", data.L_OPTIONS[-1])
    )  # a new L shows its whole run
    runs = STATE.slider("runs", t("monte_carlo.runs"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        seed = STATE.number("seed", t("common.seed"), width=170)
        st.button(t("common.resample"), on_click=STATE.new_seed, help=t("common.resample_help"), icon="🎲")
    v = {name: STATE.value(name) for name in TOY_NAMES}
    with st.expander(
        t("monte_carlo.toy_expander", **{k: f"{val:g}" for k, val in v.items()}),
        icon="🧩",
        expanded=target in TOY_TARGETS,
    ):
        st.caption(t("monte_carlo.toy_note"))
        toy = Toy(*(STATE.slider(name, t(f"monte_carlo.{name}")) for name in TOY_NAMES))
    return target, L, runs, seed, toy


def three_steps(target, seed, toy, conv):
    """The chapter's Monte Carlo box, on run 1's first draws."""
    st.header(t("monte_carlo.steps_title"), anchor="running")
    st.markdown(t("monte_carlo.steps_text"))
    draws, values = first_draws(target, seed, 6, toy)
    shown = [f"({u1:.3f}, {u2:.3f})" for u1, u2 in draws] if target == "pi" else [f"{d:.3f}" for d in draws]
    running = np.cumsum(values) / np.arange(1, values.size + 1)
    rows = [(str(i + 1), d, num(v), num(r)) for i, (d, v, r) in enumerate(zip(shown, values, running, strict=True))]
    left, right = st.columns([1, 1.25], gap="large")
    left.markdown(md_table(("l", t("monte_carlo.col_draw"), t("monte_carlo.col_f"), t("monte_carlo.col_avg")), rows))
    count = f"{conv.n[-1]:,}".replace(",", "{,}")
    se = float(conv.se[0, -1])
    pm = rf"\pm{num(se)}" if np.isfinite(se) and (se > 0 or conv.sd == 0) else ""
    with right:
        st.latex(data.F_LATEX[target])
        st.latex(
            r"\begin{aligned}\mathbb E_p[f(X)]&=\int f(x)\,p(x)\,\mathrm dx\qquad(1.4.6)\\"
            r"&\approx Q_L=\frac1L\sum_{l=1}^{L}f(X_l)\\"
            rf"{num(conv.exact)}&\approx {num(conv.mean[0, -1])}{pm}\quad(L={count})\end{{aligned}}"
        )
        st.latex(
            r"\begin{aligned}&\mathbb E_{q}[\log p_\theta(x\mid z)]-\mathrm{KL}(q\,\|\,p(z))\\"
            r"&\quad\approx\frac1L\sum_{l=1}^{L}\log p_\theta(x\mid z^{(l)})-\mathrm{KL}(q\,\|\,p(z))\qquad(1.4.13)"
            r"\end{aligned}"
        )
        st.caption(t("monte_carlo.eq_1413_note"))


def iwae_section(L, runs, seed, toy):
    st.header(t("monte_carlo.iwae_title"), anchor="iwae")
    st.markdown(t("monte_carlo.iwae_text"))
    it = data.cached_toy_views(L, runs, seed, toy).iwae
    chi2 = chi_square(toy)
    final = it.iwae[:, -1]
    se = final.std(ddof=1) / np.sqrt(runs) if runs > 1 else float("nan")
    cols = st.columns(4)
    with cols[0]:
        st.metric("log p(x)", num(it.log_px))
    with cols[1]:
        st.metric("ELBO", num(it.elbo))
    with cols[2]:
        st.metric("KL(q‖p(z|x))", num(float(posterior_kl(*toy))))
    with cols[3]:
        metric_note(
            t("monte_carlo.iwae_metric", L=f"{L:,}"),
            num(final.mean()),
            data.se_text(se, "monte_carlo.pm_se_runs", runs=runs),
        )
    chart_view(STATE, "live_iwae", iwae_chart(it, chi2))
    st.caption(t("monte_carlo.iwae_caption"))
    if not np.isfinite(chi2):
        st.warning(t("monte_carlo.chi_inf"), icon="⚠️")
    gap = it.log_px - it.elbo
    left, right = st.columns([1.1, 1], gap="large")
    with left:
        st.latex(r"\mathcal L_L=\mathbb E\Big[\log\frac1L\sum_{l=1}^{L}\frac{p(x,z_l)}{q(z_l)}\Big],\quad z_l\sim q")
        st.latex(r"\mathrm{ELBO}=\mathcal L_1\le\mathcal L_2\le\dots\le\mathcal L_L\le\log p(x)")
        st.latex(rf"\log p(x)-\mathcal L_1=\mathrm{{KL}}(q\,\|\,p(z\mid x))={num(gap)}")
        chi_tex = tex(chi2, 3) if np.isfinite(chi2) else r"\infty"
        st.latex(rf"\log p(x)-\mathcal L_L\approx\frac{{\chi^2(p(z\mid x)\,\|\,q)}}{{2L}}=\frac{{{chi_tex}}}{{2L}}")
        st.caption(t("monte_carlo.iwae_formula_note"))
    with right:
        st.markdown(md_table(*data.iwae_table(it, L, runs, chi2, gap)))
        st.caption(t("monte_carlo.iwae_table_note", runs=runs) if runs > 1 else t("monte_carlo.one_run_note"))


@st.fragment
def clt_section(target, seed, toy, exact, sd):
    st.header(t("monte_carlo.hist_title", repeats=f"{data.REPEATS:,}"), anchor="histogram")
    L = STATE.select_slider("Lhist", t("monte_carlo.Lhist"), format_func=count_text)
    if sd == 0:
        st.info(t("monte_carlo.zero_hist"), icon="🎯")
        return
    values = data.cached_repeats(target, L, seed, toy)
    chart_view(STATE, "live_histogram", histogram_chart(values, target, L, exact, sd, data.REPEATS))
    st.latex(r"Q_L\ \dot\sim\ \mathcal N\Big(\mathbb E f(X),\ \frac{\sigma^2}{L}\Big)")
    st.latex(
        rf"\sigma^2=\operatorname{{Var}}f(X)={tex(sd**2, 4)},\quad"
        rf"\frac{{\sigma}}{{\sqrt{{L}}}}={tex(sd / np.sqrt(L), 4)}"
    )
    st.caption(t("monte_carlo.hist_caption", sd_hat=num(float(values.std(ddof=1))), sd_clt=num(sd / np.sqrt(L))))


def check_expander(target, toy, conv, runs, L):
    # computed only while open: the quadrature would otherwise rerun on every toy-slider move
    check = st.expander(t("common.check"), icon="✅", key="monte_carlo_check_open", on_change="rerun")
    if not check.open:
        return
    with check:
        quad_mean, quad_var = data.cached_quadrature(target, toy)
        pooled, pooled_se = pooled_estimate(conv)
        z = (
            t("common.diff_in_se", diff=f"{pooled - conv.exact:+.4f}", z=f"{(pooled - conv.exact) / pooled_se:+.1f}")
            if pooled_se > 0
            else f"{pooled - conv.exact:+.1e}"
        )
        rows = [
            (t("monte_carlo.check_closed"), num(conv.exact, 6), num(conv.sd**2, 6), "—"),
            (t("monte_carlo.check_quad"), num(quad_mean, 6), num(quad_var, 6), f"{quad_mean - conv.exact:+.1e}"),
            (
                t("monte_carlo.check_pooled", total=f"{runs * L:,}"),
                f"{num(pooled, 6)} ± {num(pooled_se, 6)}",
                num(pooled_se**2 * runs * L, 6) if runs * L > 1 else "—",
                z,
            ),
        ]
        st.markdown(md_table((t("common.method"), "E f(X)", "Var f(X)", t("common.difference")), rows))
        st.caption(t("monte_carlo.check_note"))


@st.fragment
def explorer():
    st.header(t("monte_carlo.explore_title"), anchor="estimates")
    controls, figure = st.columns([1, 2.4], gap="large")
    with controls:
        target, L, runs, seed, toy = mc_controls()
    uses_toy = target in TOY_TARGETS
    if uses_toy:
        conv = getattr(data.cached_toy_views(L, runs, seed, toy), target)
    else:
        conv = data.cached_convergence(target, L, runs, seed, Toy())
    err = np.abs(conv.mean - conv.exact)
    slope = loglog_slope(conv.n, np.sqrt(np.mean(err**2, axis=0)))
    with figure:
        cols = st.columns(3)
        with cols[0]:
            metric_note(
                t("monte_carlo.m_exact", symbol=data.SYMBOL[target]),
                num(conv.exact),
                t("monte_carlo.exact_se", se=num(conv.sd / np.sqrt(L))),
            )
        with cols[1]:
            metric_note(
                t("monte_carlo.m_estimate", L=f"{L:,}"),
                num(conv.mean[0, -1]),
                data.se_text(float(conv.se[0, -1]), can_vary=conv.sd > 0),
            )
        with cols[2]:
            slope_text = f"{slope:.2f}".replace("-", "−") if np.isfinite(slope) else "—"
            metric_note(t("monte_carlo.m_slope"), slope_text, t("monte_carlo.slope_theory"))
        mc_view(STATE, conv, data.SYMBOL[target])
        st.caption(t("monte_carlo.running_caption"))
    three_steps(target, seed, toy, conv)
    left, right = st.columns(2, gap="large")
    with left:
        st.header(t("monte_carlo.err_title"), anchor="errors")
        if conv.sd > 0:
            chart_view(STATE, "live_errors", error_chart(conv, slope))
            st.caption(t("monte_carlo.err_caption"))
        else:
            st.info(t("monte_carlo.zero_var", why=t(f"monte_carlo.zero_{target}")), icon="🎯")
    with right:
        clt_section(target, seed, toy if uses_toy else Toy(), conv.exact, conv.sd)
    iwae_section(L, runs, seed, toy)
    check_expander(target, toy if uses_toy else Toy(), conv, runs, L)


st.title(t("monte_carlo.title"))
intro("monte_carlo.intro")
STATE.sync()
explorer()
page_footer("monte_carlo", sample, evaluate, exact_moments, running_mean_se, running_log_mean_exp, chi_square)
