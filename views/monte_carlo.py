"""Monte Carlo estimates as L grows: the chapter's Monte Carlo box, eq. 1.4.13, the CLT and the IWAE bound."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.components import GAP_RED, P_BLUE, Q_ORANGE, num, show_code, tex
from ui.i18n import t
from ui.plots import PLOTLY_CONFIG, style
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState, option_labels
from vae_core.monte_carlo import (
    TARGETS,
    TOY_TARGETS,
    Toy,
    chi_square,
    convergence,
    estimator_repeats,
    evaluate,
    exact_moments,
    first_draws,
    histogram,
    lattice_step,
    loglog_slope,
    pooled_estimate,
    quadrature_moments,
    running_log_mean_exp,
    running_mean_se,
    sample,
    toy_views,
)
from vae_core.toy_model import posterior_kl

L_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
LHIST_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000)
REPEATS = 2_000  # histogram repeats
POINTS = 120  # log-spaced checkpoints per run: 24 per decade is smooth on a log axis and keeps charts light
STATE = UrlState(
    "mc",
    ChoiceParam("target", "recon", TARGETS),
    ChoiceParam("L", 10_000, L_OPTIONS),
    IntParam("runs", 20, 1, 50),
    IntParam("seed", 0, 0, 2**31 - 1),
    ChoiceParam("Lhist", 10, LHIST_OPTIONS),
    FloatParam("x", 1.5, -4.0, 4.0, 0.01),  # the ELBO page's toy model: same names, defaults, ranges
    FloatParam("w", 1.0, -3.0, 3.0, 0.01),
    FloatParam("noise", 0.5, 0.1, 3.0, 0.01),
    FloatParam("qmu", 0.0, -4.0, 4.0, 0.01),
    FloatParam("qsigma", 1.0, 0.1, 3.0, 0.01),
)
SYMBOL = {"recon": "E_q[log p(x|z)]", "kl": "KL(q‖p(z))", "pi": "π", "square": "E[X²]", "exp": "E[eˣ]",
          "tail": "P(X > 2)"}
F_LATEX = {
    "recon": r"f(z)=\log p(x\mid z)=\log\mathcal N(x;\,wz,\ \mathrm{noise}^2),\quad z\sim q",
    "kl": r"f(z)=\log q(z)-\log p(z),\quad z\sim q",
    "pi": r"f(U)=4\cdot\mathbb 1\{U_1^2+U_2^2\le 1\},\quad U\sim\mathrm{Unif}[0,1]^2",
    "square": r"f(X)=X^2,\quad X\sim\mathcal N(0,1)", "exp": r"f(X)=e^{X},\quad X\sim\mathcal N(0,1)",
    "tail": r"f(X)=\mathbb 1\{X>2\},\quad X\sim\mathcal N(0,1)",
}
RUNS_GREY, EXACT_BLACK, RUN1_DARK = "rgba(120,130,150,0.45)", "#222222", "#3b4a6b"


@st.cache_data(max_entries=24, show_spinner=False)
def cached_convergence(target, L, runs, seed, toy):
    return convergence(target, L, runs, seed, toy, POINTS)


@st.cache_data(max_entries=24, show_spinner=False)
def cached_repeats(target, L, seed, toy):
    return estimator_repeats(target, L, REPEATS, seed, toy)


@st.cache_data(max_entries=24, show_spinner=False)
def cached_toy_views(L, runs, seed, toy):
    """recon, kl and IWAE from one pass over the same draws: a toy slider costs one pass, not three."""
    return toy_views(L, runs, seed, toy, POINTS)


def resample():
    STATE.set("seed", int(np.random.default_rng().integers(0, 2**31 - 1)))


def mc_controls():
    """Widgets → (target, L, runs, seed, toy)."""
    target = STATE.choice("target", t("mc.target"), option_labels("mc.target_"), widget=st.selectbox)
    L = STATE.select_slider("L", t("mc.L"), format_func=lambda v: f"{v:,}")
    runs = STATE.slider("runs", t("mc.runs"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        seed = STATE.number("seed", t("common.seed"), width=170)
        st.button(t("common.resample"), on_click=resample, help=t("common.resample_help"), icon="🎲")
    v = {name: STATE.value(name) for name in ("x", "w", "noise", "qmu", "qsigma")}
    with st.expander(t("mc.toy_expander", **{k: f"{val:g}" for k, val in v.items()}), icon="🧩",
                     expanded=target in TOY_TARGETS):
        st.caption(t("mc.toy_note"))
        toy = Toy(*(STATE.slider(name, t(f"mc.{name}")) for name in ("x", "w", "noise", "qmu", "qsigma")))
    return target, L, runs, seed, toy


def gapped(n, rows):
    """Many runs as one line trace, broken by NaN gaps: one SVG path instead of 50 traces.

    At ≤ 120 checkpoints × 50 runs the SVG line is cheap; Scattergl measured ~4× slower here in
    headless Chromium without a GPU (software WebGL), so the page draws no WebGL at all.
    """
    k = rows.shape[0]
    x = np.tile(np.append(n.astype(float), np.nan), k)
    y = np.hstack([rows, np.full((k, 1), np.nan)]).ravel()
    return x, y


def y_range(rows, n, centre, spread):
    """Axis range covering the runs from n ≥ 10 on (the first few samples may be wild) and the funnel."""
    keep = n >= min(10, n[-1])
    lo = min(rows[:, keep].min(), centre - 2 * spread / np.sqrt(n[keep][0]))
    hi = max(rows[:, keep].max(), centre + 2 * spread / np.sqrt(n[keep][0]))
    pad = 0.08 * (hi - lo) if hi > lo else 1.0
    return [lo - pad, hi + pad]


def hline(n, y, name, colour, width=1.5):
    """A horizontal reference line as a trace, so it is named in the legend rather than over the data."""
    return go.Scatter(x=[n[0], n[-1]], y=[y, y], mode="lines", line={"color": colour, "width": width}, name=name,
                      hovertemplate=f"{name}<extra></extra>")


def running_figure(conv, runs):
    n, exact, funnel = conv.n, conv.exact, 2 * conv.sd / np.sqrt(conv.n)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=n, y=exact + funnel, line={"width": 0}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=n, y=exact - funnel, line={"width": 0}, fill="tonexty", hoverinfo="skip",
                             fillcolor="rgba(150,150,150,0.25)", name=t("mc.band_exact")))
    if runs > 1:
        gx, gy = gapped(n, conv.mean[1:])
        fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", line={"color": RUNS_GREY, "width": 1},
                                   name=t("mc.run_others"), hoverinfo="skip"))
    for sign in (1, -1):
        fig.add_trace(go.Scatter(x=n[1:], y=conv.mean[0, 1:] + sign * 2 * conv.se[0, 1:], hoverinfo="skip",
                                 line={"color": Q_ORANGE, "width": 1.5, "dash": "dash"},
                                 name=t("mc.band_run"), showlegend=sign == 1, legendgroup="band"))
    fig.add_trace(go.Scatter(x=n, y=conv.mean[0], line={"color": RUN1_DARK, "width": 2.5}, name=t("mc.run_first"),
                             hovertemplate="n=%{x:,}<br>Q_n=%{y:.4f}<extra></extra>"))
    fig.add_trace(hline(n, exact, t("mc.exact_line", value=num(exact)), EXACT_BLACK))
    fig.update_xaxes(type="log", title_text=t("mc.axis_n"))
    fig.update_yaxes(range=y_range(conv.mean, n, exact, conv.sd), title_text="Q<sub>n</sub>")
    return style(fig, height=430).update_layout(hovermode="closest")


def error_figure(conv, slope):
    n = conv.n
    err = np.abs(conv.mean - conv.exact)
    rms = np.sqrt(np.mean(err**2, axis=0))
    gx, gy = gapped(n, np.where(err > 0, err, np.nan))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", line={"color": RUNS_GREY, "width": 1},
                               name=t("mc.err_runs"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=n, y=np.where(rms > 0, rms, np.nan), line={"color": GAP_RED, "width": 3},
                             name=t("mc.rms", slope=f"{slope:.2f}".replace("-", "−"))))
    fig.add_trace(go.Scatter(x=n, y=conv.sd / np.sqrt(n), line={"color": EXACT_BLACK, "width": 2, "dash": "dash"},
                             name=t("mc.reference")))
    fig.update_xaxes(type="log", title_text=t("mc.axis_n"))
    fig.update_yaxes(type="log", title_text=t("mc.axis_err"), exponentformat="power")
    return style(fig, height=400).update_layout(hovermode="closest")


def histogram_figure(values, target, L, exact, sd):
    step = lattice_step(target)
    edges, density = histogram(values, lattice=step / L if step else None)
    clt_sd = sd / np.sqrt(L)
    q_lo, q_hi = np.quantile(values, [0.002, 0.998])  # the view: the bulk and the CLT curve, not a far outlier
    view = [min(q_lo, exact - 4 * clt_sd), max(q_hi, exact + 4 * clt_sd)]
    pad = 0.04 * (view[1] - view[0])
    view = [view[0] - pad, view[1] + pad]
    grid = np.linspace(view[0], view[1], 300)
    normal = np.exp(-0.5 * ((grid - exact) / clt_sd) ** 2) / (clt_sd * np.sqrt(2 * np.pi))
    fig = go.Figure(go.Bar(x=0.5 * (edges[1:] + edges[:-1]), y=density, width=np.diff(edges),
                           marker={"color": "rgba(59,74,107,0.55)", "line": {"width": 0}},
                           name=t("mc.hist_bars", repeats=f"{REPEATS:,}")))
    fig.add_trace(go.Scatter(x=grid, y=normal, line={"color": GAP_RED, "width": 2.5}, name=t("mc.clt")))
    fig.add_vline(x=exact, line={"color": EXACT_BLACK, "width": 1.5})
    fig.update_xaxes(title_text=t("mc.axis_q"), range=view)
    fig.update_yaxes(title_text=t("mc.axis_density"))
    return style(fig, height=400).update_layout(bargap=0, hovermode="closest")


def asymptote_from(chi2):
    """The delta method's bias χ²/(2L) holds once the average weight is concentrated: L ≥ 10 χ²."""
    return max(1.0, 10.0 * chi2) if np.isfinite(chi2) else np.inf


def iwae_figure(it, chi2):
    n, gap = it.n, it.log_px - it.elbo
    fig = go.Figure()
    fig.add_hrect(y0=it.elbo, y1=it.log_px, fillcolor=GAP_RED, opacity=0.08, line_width=0)
    for rows, colour, key in ((it.avg_log, "rgba(255,127,14,0.35)", "avg"), (it.iwae, "rgba(31,119,180,0.35)", "iwae")):
        if rows.shape[0] > 1:
            gx, gy = gapped(n, rows)
            fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", line={"color": colour, "width": 1},
                                       name=t(f"mc.{key}_runs"), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=n, y=rows.mean(axis=0), name=t(f"mc.{key}_mean"),
                                 line={"color": Q_ORANGE if key == "avg" else P_BLUE, "width": 3}))
    keep = n >= asymptote_from(chi2)
    if keep.any() and chi2 > 0:
        fig.add_trace(go.Scatter(x=n[keep], y=it.log_px - chi2 / (2 * n[keep]), name=t("mc.asymptote"),
                                 line={"color": P_BLUE, "width": 2, "dash": "dot"}))
    fig.add_trace(hline(n, it.log_px, f"log p(x) = {num(it.log_px)}", P_BLUE))
    fig.add_trace(hline(n, it.elbo, f"ELBO = {num(it.elbo)}", Q_ORANGE))
    lo = min(it.elbo - 0.6 * max(gap, 0.05), np.quantile(it.avg_log[:, n >= min(10, n[-1])], 0.02))
    hi = max(it.log_px + 0.35 * max(gap, 0.05), np.quantile(it.iwae[:, n >= min(10, n[-1])], 0.98))
    fig.update_xaxes(type="log", title_text=t("mc.axis_n"))
    fig.update_yaxes(range=[lo, hi], title_text=t("mc.axis_nats"))
    return style(fig, height=460).update_layout(hovermode="closest")


def metric_pm(label, value, se, key="mc.pm_se", **fields):
    """A Monte Carlo estimate: the value, and ± one standard error underneath (grey, no arrow)."""
    delta = t(key, se=num(se), **fields) if np.isfinite(se) else None
    st.metric(label, num(value), delta=delta, delta_color="off", delta_arrow="off")


def three_steps(target, seed, toy, conv):
    """The chapter's Monte Carlo box, on run 1's first draws."""
    st.subheader(t("mc.steps_title"))
    st.markdown(t("mc.steps_text"))
    draws, values = first_draws(target, seed, 6, toy)
    shown = [f"({u1:.3f}, {u2:.3f})" for u1, u2 in draws] if target == "pi" else [f"{d:.3f}" for d in draws]
    running = np.cumsum(values) / np.arange(1, values.size + 1)
    head = f"| l | {t('mc.col_draw')} | {t('mc.col_f')} | {t('mc.col_avg')} |\n|---|---|---|---|\n"
    rows = [f"| {i + 1} | {d} | {num(v)} | {num(r)} |"
            for i, (d, v, r) in enumerate(zip(shown, values, running, strict=True))]
    left, right = st.columns([1, 1.25], gap="large")
    left.markdown(head + "\n".join(rows))
    count = f"{conv.n[-1]:,}".replace(",", "{,}")
    with right:
        st.latex(F_LATEX[target])
        st.latex(
            r"\begin{aligned}\mathbb E_p[f(X)]&=\int f(x)\,p(x)\,\mathrm dx\qquad(1.4.6)\\"
            r"&\approx Q_L=\frac1L\sum_{l=1}^{L}f(X_l)\\"
            rf"{num(conv.exact)}&\approx {num(conv.mean[0, -1])}\quad(L={count})\end{{aligned}}"
        )
        st.latex(
            r"\begin{aligned}&\mathbb E_{q}[\log p_\theta(x\mid z)]-\mathrm{KL}(q\,\|\,p(z))\\"
            r"&\quad\approx\frac1L\sum_{l=1}^{L}\log p_\theta(x\mid z^{(l)})-\mathrm{KL}(q\,\|\,p(z))\qquad(1.4.13)"
            r"\end{aligned}"
        )
        st.caption(t("mc.eq_1413_note"))


def iwae_section(L, runs, seed, toy):
    st.subheader(t("mc.iwae_title"))
    st.markdown(t("mc.iwae_text"))
    it = cached_toy_views(L, runs, seed, toy).iwae
    chi2 = chi_square(toy)
    final = it.iwae[:, -1]
    se = final.std(ddof=1) / np.sqrt(runs) if runs > 1 else float("nan")
    cols = st.columns(4)
    with cols[0]:
        st.metric("log p(x)", num(it.log_px))
    with cols[1]:
        st.metric("ELBO", num(it.elbo))
    with cols[2]:
        st.metric("KL(q‖p(z|x))", num(float(posterior_kl(toy.x, toy.w, toy.noise, toy.m, toy.s))))
    with cols[3]:
        metric_pm(t("mc.iwae_metric", L=f"{L:,}"), float(final.mean()), se, "mc.pm_se_runs", runs=runs)
    st.plotly_chart(iwae_figure(it, chi2), config=PLOTLY_CONFIG)
    st.caption(t("mc.iwae_caption"))
    if not np.isfinite(chi2):
        st.warning(t("mc.chi_inf"), icon="⚠️")
    gap = it.log_px - it.elbo
    left, right = st.columns([1.1, 1], gap="large")
    with left:
        st.latex(r"\mathcal L_L=\mathbb E\Big[\log\frac1L\sum_{l=1}^{L}\frac{p(x,z_l)}{q(z_l)}\Big],\quad z_l\sim q")
        st.latex(r"\mathrm{ELBO}=\mathcal L_1\le\mathcal L_2\le\dots\le\mathcal L_L\le\log p(x)\qquad(1.4.5)")
        st.latex(rf"\log p(x)-\mathcal L_1=\mathrm{{KL}}(q\,\|\,p(z\mid x))={num(gap)}")
        chi_tex = tex(chi2, 3) if np.isfinite(chi2) else r"\infty"
        st.latex(rf"\log p(x)-\mathcal L_L\approx\frac{{\chi^2(p(z\mid x)\,\|\,q)}}{{2L}}=\frac{{{chi_tex}}}{{2L}}")
        st.caption(t("mc.iwae_formula_note"))
    with right:
        st.markdown(iwae_table(it, L, runs, chi2, gap))
        st.caption(t("mc.iwae_table_note", runs=runs))


def iwae_table(it, L, runs, chi2, gap):
    """Mean IWAE over runs at L = 1, 10, 100, …: the bias shrinking, next to what theory predicts."""
    head = f"| L | {t('mc.col_iwae')} | {t('mc.col_bias')} | {t('mc.col_theory')} |\n|---|---|---|---|\n"
    lines = []
    for k in (k for k in (1, 10, 100, 1_000, 10_000, 100_000) if k <= L):
        col = it.iwae[:, np.searchsorted(it.n, k)]
        pm = f" ± {num(col.std(ddof=1) / np.sqrt(runs))}" if runs > 1 else ""
        if k == 1:
            theory = t("mc.theory_gap", gap=num(gap))
        elif k >= asymptote_from(chi2):
            theory = num(chi2 / (2 * k))
        else:
            theory = "—"
        lines.append(f"| {k:,} | {num(col.mean())} | {num(it.log_px - col.mean())}{pm} | {theory} |")
    return head + "\n".join(lines)


@st.fragment
def clt_section(target, seed, toy, exact, sd):
    st.subheader(t("mc.hist_title", repeats=f"{REPEATS:,}"))
    L = STATE.select_slider("Lhist", t("mc.Lhist"), format_func=lambda v: f"{v:,}")
    if sd == 0:
        st.info(t("mc.zero_hist"), icon="🎯")
        return
    values = cached_repeats(target, L, seed, toy)
    st.plotly_chart(histogram_figure(values, target, L, exact, sd), config=PLOTLY_CONFIG)
    st.latex(r"Q_L\ \dot\sim\ \mathcal N\Big(\mathbb E f(X),\ \frac{\sigma^2}{L}\Big)")
    st.latex(rf"\sigma^2=\operatorname{{Var}}f(X)={tex(sd**2, 4)},\quad"
             rf"\frac{{\sigma}}{{\sqrt{{L}}}}={tex(sd / np.sqrt(L), 4)}")
    st.caption(t("mc.hist_caption", sd_hat=num(float(values.std(ddof=1))), sd_clt=num(sd / np.sqrt(L))))


def check_expander(target, toy, conv, runs, L):
    with st.expander(t("common.check"), icon="✅"):
        quad_mean, quad_var = quadrature_moments(target, toy)
        pooled, pooled_se = pooled_estimate(conv)
        z = t("common.diff_in_se", diff=f"{pooled - conv.exact:+.4f}", z=f"{(pooled - conv.exact) / pooled_se:+.1f}") \
            if pooled_se > 0 else f"{pooled - conv.exact:+.1e}"
        rows = [
            (t("mc.check_closed"), num(conv.exact, 6), num(conv.sd**2, 6), "—"),
            (t("mc.check_quad"), num(quad_mean, 6), num(quad_var, 6), f"{quad_mean - conv.exact:+.1e}"),
            (t("mc.check_pooled", total=f"{runs * L:,}"), f"{num(pooled, 6)} ± {num(pooled_se, 6)}",
             num(pooled_se**2 * runs * L, 6) if runs * L > 1 else "—", z),
        ]
        head = f"| {t('common.method')} | E f(X) | Var f(X) | {t('common.difference')} |\n|---|---|---|---|\n"
        st.markdown(head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows))
        st.caption(t("mc.check_note"))


@st.fragment
def explorer():
    controls, figure = st.columns([1, 2.4], gap="large")
    with controls:
        target, L, runs, seed, toy = mc_controls()
    uses_toy = target in TOY_TARGETS
    if uses_toy:
        conv = getattr(cached_toy_views(L, runs, seed, toy), target)
    else:
        conv = cached_convergence(target, L, runs, seed, Toy())
    err = np.abs(conv.mean - conv.exact)
    slope = loglog_slope(conv.n, np.sqrt(np.mean(err**2, axis=0)))
    with figure:
        cols = st.columns(3)
        with cols[0]:
            st.metric(t("mc.m_exact", symbol=SYMBOL[target]), num(conv.exact), delta_color="off", delta_arrow="off",
                      delta=t("mc.exact_se", se=num(conv.sd / np.sqrt(L))))
        with cols[1]:
            metric_pm(t("mc.m_estimate", L=f"{L:,}"), float(conv.mean[0, -1]), float(conv.se[0, -1]))
        with cols[2]:
            st.metric(t("mc.m_slope"), f"{slope:.2f}".replace("-", "−") if np.isfinite(slope) else "—",
                      delta=t("mc.slope_theory"), delta_color="off", delta_arrow="off")
        st.plotly_chart(running_figure(conv, runs), config=PLOTLY_CONFIG)
        st.caption(t("mc.running_caption"))
    three_steps(target, seed, toy, conv)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(t("mc.err_title"))
        if conv.sd > 0:
            st.plotly_chart(error_figure(conv, slope), config=PLOTLY_CONFIG)
            st.caption(t("mc.err_caption"))
        else:
            st.info(t("mc.zero_var", why=t(f"mc.zero_{target}")), icon="🎯")
    with right:
        clt_section(target, seed, toy if uses_toy else Toy(), conv.exact, conv.sd)
    iwae_section(L, runs, seed, toy)
    check_expander(target, toy if uses_toy else Toy(), conv, runs, L)


st.title(t("mc.title"))
st.markdown(t("mc.intro"))
STATE.sync()
explorer()
with st.expander(t("mc.try_title"), icon="🧪"):
    st.markdown(t("mc.try_text"))
show_code(sample, evaluate, exact_moments, running_mean_se, running_log_mean_exp, chi_square)
