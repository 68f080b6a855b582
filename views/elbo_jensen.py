"""The ELBO: Jensen's gap and log p(x) = ELBO + KL(q‖p(z|x)) on an exact model (eqs. 1.4.1–1.4.10)."""

import math
import secrets

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.components import GAP_RED, P_BLUE, POSTERIOR_GREEN, PRIOR_GREY, Q_ORANGE, metric, num, show_code, tex
from ui.i18n import t
from ui.plots import PLOTLY_CONFIG, log_ticks
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState, option_labels
from vae_core.gaussian import normal_pdf
from vae_core.jensen import (
    DISTRIBUTIONS,
    FUNCTIONS,
    f_values,
    is_convex,
    lognormal,
    lognormal_pdf,
    lognormal_quantile,
    two_point,
)
from vae_core.toy_model import (
    ascend_elbo,
    elbo,
    elbo_gradient,
    log_evidence,
    log_joint,
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


def nice_bound(value):
    """The smallest of 1, 2, 5 × 10ᵏ that is ≥ |value|: axis ends that do not twitch with every slider step."""
    if value <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(k * power for k in (1, 2, 5, 10) if k * power >= value * (1 - 1e-12))


def ledger_range(*values):
    lo, hi = -nice_bound(-min(0.0, *values)), nice_bound(max(0.0, *values))
    pad = 0.04 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


# Figures are built as plain dicts and validated once by go.Figure(data, layout): many
# add_trace/add_vline/update_layout calls (and make_subplots) re-validate every time and cost
# several times more — most of a slider move's server time on this page.
def vline(x, yref="y domain", xref="x", **line):
    return {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": xref, "yref": yref,
            "line": {"width": 1, **line}}


def figure(data, layout, height, legend_top=True):
    """go.Figure with the house style of ui.plots.style, merged into the layout before validation."""
    base = {"height": height, "margin": {"l": 10, "r": 10, "t": 40 if legend_top else 20, "b": 10},
            "hovermode": "x unified" if legend_top else "closest", "transition": {"duration": 0}}
    if legend_top:
        base["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}
    return go.Figure(data=data, layout={**base, **layout})


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


def jensen_figure(f, dist, params, result):
    """The curve f, (E[X], f(E[X])) in blue, (E[X], E[f(X)]) in orange, the gap in red; X's law below."""
    if dist == "two":
        lo, hi = 0.03, 6.2
    else:
        lo, hi = 0.03, max(3.0, float(lognormal_quantile(0.99, params["lnsigma"])))
    xs = np.linspace(lo, hi, 300)
    curve = f_values(f, xs)
    # keep both points readable: x² on a long right tail would otherwise squash them against 0
    y_top = min(float(curve.max()), 3.0 * max(result.mean_of_f, result.f_of_mean, 1.0))
    y_pad = 0.05 * (y_top - float(curve.min()))
    mean = result.mean
    data = [{"type": "scatter", "x": xs, "y": curve, "name": t(f"elbo.f_{f}"), "hoverinfo": "skip",
             "line": {"color": "#444", "width": 2.5}}]
    if dist == "two":
        pts = np.array([params["x1"], params["x2"]])
        weights = np.array([params["lam"], 1 - params["lam"]])
        data += [
            {"type": "scatter", "x": pts, "y": f_values(f, pts), "mode": "lines+markers", "name": t("elbo.chord"),
             "line": {"color": PRIOR_GREY, "dash": "dash"}, "marker": {"size": 6 + 14 * weights, "color": PRIOR_GREY}},
            {"type": "bar", "x": pts, "y": weights, "width": 0.08, "marker": {"color": PRIOR_GREY},
             "name": t("elbo.dist_of_x"), "showlegend": False, "xaxis": "x2", "yaxis": "y2"},
        ]
    else:
        data.append({"type": "scatter", "x": xs, "y": lognormal_pdf(xs, params["lnsigma"]), "fill": "tozeroy",
                     "mode": "lines", "line": {"color": PRIOR_GREY}, "name": t("elbo.dist_of_x"),
                     "showlegend": False, "xaxis": "x2", "yaxis": "y2"})
    data += [
        {"type": "scatter", "x": [mean, mean], "y": [result.f_of_mean, result.mean_of_f], "mode": "lines",
         "line": {"color": GAP_RED, "width": 6}, "name": t("elbo.gap_segment", gap=num(result.gap))},
        {"type": "scatter", "x": [mean], "y": [result.f_of_mean], "mode": "markers", "name": "f(E[X])",
         "marker": {"color": P_BLUE, "size": 12, "line": {"color": "white", "width": 1}}},
        {"type": "scatter", "x": [mean], "y": [result.mean_of_f], "mode": "markers", "name": "E[f(X)]",
         "marker": {"color": Q_ORANGE, "size": 12, "symbol": "diamond", "line": {"color": "white", "width": 1}}},
    ]
    dotted = {"color": PRIOR_GREY, "dash": "dot"}
    layout = {
        "xaxis": {"anchor": "y", "range": [0, hi], "showticklabels": False},
        "yaxis": {"domain": [0.3, 1.0], "title": {"text": "f(x)"},
                  "range": [float(curve.min()) - y_pad, y_top + y_pad]},
        "xaxis2": {"anchor": "y2", "matches": "x", "title": {"text": "x"}},
        "yaxis2": {"domain": [0.0, 0.22], "title": {"text": t("elbo.prob_axis")}, "rangemode": "tozero"},
        "shapes": [vline(mean, **dotted), vline(mean, xref="x2", yref="y2 domain", **dotted)],
        "annotations": [{"x": mean, "y": 1.0, "xref": "x2", "yref": "y2 domain", "text": "E[X]", "showarrow": False,
                         "yanchor": "bottom", "font": {"color": PRIOR_GREY}}],
    }
    return figure(data, layout, height=430)


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
    controls, figure = st.columns([1, 2.2], gap="large")
    with controls:
        f, dist, params = jensen_controls()
    result = two_point(f, params["x1"], params["x2"], params["lam"]) if dist == "two" \
        else lognormal(f, params["lnsigma"])
    with figure:
        cols = st.columns(3)
        with cols[0]:
            metric("f(E[X])", result.f_of_mean)
        with cols[1]:
            metric("E[f(X)]", result.mean_of_f)
        with cols[2]:
            metric("|E[f(X)] − f(E[X])|", result.gap)
        st.plotly_chart(jensen_figure(f, dist, params, result), config=PLOTLY_CONFIG)
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
    return x, w, noise, qmu, qsigma


def ledger_figure(lp, lower, recon, pkl, x_range, height=280, with_decomposition=True):
    """Eq. 1.4.10 (and 1.4.12) on one nats axis: points where the numbers sit, bars only for the gaps.

    The ELBO and log p(x) are usually negative, so they are marked as positions, never as bars
    from 0; the only bars are the KL terms, which are ≥ 0 and run from the ELBO to the right.
    """
    rows = [t("elbo.bar_ledger")] + ([t("elbo.bar_terms")] if with_decomposition else [])
    middle = 0.5 * (x_range[0] + x_range[1])

    def gap_bar(row, start, width, colour, text, pattern=None):
        return {"type": "bar", "y": [row], "x": [width], "base": [start], "orientation": "h", "width": 0.26,
                "text": [text], "textposition": "inside", "insidetextanchor": "middle",
                "marker": {"color": colour, "pattern": pattern or {}}, "hovertemplate": f"{text}<extra></extra>"}

    def point(row, value, colour, symbol, label, above):
        side = "left" if value > middle else "right"  # labels grow towards the middle, never off the plot
        text = f"{label} = {num(value)}"
        return {"type": "scatter", "y": [row], "x": [value], "mode": "markers+text", "text": [text],
                "textposition": f"{'top' if above else 'bottom'} {side}", "textfont": {"color": colour, "size": 13},
                "marker": {"color": colour, "symbol": symbol, "size": 14, "line": {"color": "white", "width": 1.5}},
                "hovertemplate": f"{text}<extra></extra>"}

    data = [gap_bar(rows[0], lower, lp - lower, GAP_RED, f"KL(q‖p(z|x)) = {num(lp - lower)}")]
    if with_decomposition:
        hatch = {"shape": "/", "fgcolor": "white"}
        data += [gap_bar(rows[1], lower, pkl, PRIOR_GREY, f"KL(q‖p(z)) = {num(pkl)}", hatch),
                 point(rows[1], recon, "#e377c2", "triangle-up", "E_q[log p(x|z)]", above=True),
                 point(rows[1], lower, Q_ORANGE, "diamond", "ELBO", above=False)]
    data += [point(rows[0], lower, Q_ORANGE, "diamond", "ELBO", above=False),
             point(rows[0], lp, P_BLUE, "circle", "log p(x)", above=True)]
    layout = {
        "barmode": "overlay", "uniformtext": {"minsize": 10, "mode": "hide"}, "showlegend": False,
        "shapes": [vline(lp, color=P_BLUE, dash="dash", width=1.5), vline(0, color="black")],
        "xaxis": {"range": x_range, "title": {"text": t("elbo.nats_axis")}, "zeroline": False},
        "yaxis": {"categoryorder": "array", "categoryarray": rows[::-1], "range": [-0.75, len(rows) - 0.25]},
    }
    return figure(data, layout, height=height, legend_top=False)


def z_grid(*peaks):
    """A z grid covering every (mean, sd) given, dense near each so narrow peaks stay smooth."""
    lo = min(m - 4 * s for m, s in peaks)
    hi = max(m + 4 * s for m, s in peaks)
    near = [np.linspace(m - 4 * s, m + 4 * s, 120) for m, s in peaks]
    return np.unique(np.concatenate([np.linspace(lo, hi, 240), *near])), (lo, hi)


def densities_figure(x, w, noise, qmu, qsigma, lp):
    """Top: the joint log p(x, z) with the observed x; bottom: that slice, prior, posterior and q over z."""
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    z, (lo, hi) = z_grid((0.0, 1.0), (post_mean, post_sd), (qmu, qsigma))
    z_heat = np.linspace(lo, hi, 140)
    x_half = max(4.5, abs(x) + 0.5)
    x_heat = np.linspace(-x_half, x_half, 90)
    log_p = log_joint(z_heat[None, :], x_heat[:, None], w, noise)  # (x rows, z columns)
    data = [
        {"type": "heatmap", "x0": lo, "dx": z_heat[1] - z_heat[0], "y0": -x_half, "dy": x_heat[1] - x_heat[0],
         "z": np.maximum(log_p, log_p.max() - 12),
         "colorscale": "Blues", "showscale": False,
         "hovertemplate": "z=%{x:.2f}<br>x=%{y:.2f}<br>log p(x,z)=%{z:.2f}<extra></extra>"},
        {"type": "scatter", "x": z, "y": np.exp(log_joint(z, x, w, noise)), "fill": "tozeroy", "mode": "lines",
         "line": {"color": P_BLUE, "width": 1}, "fillcolor": "rgba(31,119,180,0.18)",
         "name": t("elbo.slice", p=num(math.exp(lp))), "xaxis": "x2", "yaxis": "y2"},
    ]
    for mean, sd, colour, label, dash in ((0.0, 1.0, PRIOR_GREY, "p(z)", "dot"),
                                          (post_mean, post_sd, POSTERIOR_GREEN, "p(z|x)", "solid"),
                                          (qmu, qsigma, Q_ORANGE, "q(z)", "solid")):
        data.append({"type": "scatter", "x": z, "y": normal_pdf(z, mean, sd), "name": label,
                     "line": {"color": colour, "dash": dash}, "xaxis": "x2", "yaxis": "y2"})
    title = {"xref": "paper", "yref": "paper", "x": 0.5, "xanchor": "center", "yanchor": "bottom",
             "showarrow": False, "font": {"size": 14, "color": "#777"}}
    layout = {
        "hovermode": "closest",
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0},
        "xaxis": {"anchor": "y", "range": [lo, hi], "showticklabels": False},
        "yaxis": {"domain": [0.62, 0.95], "title": {"text": "x"}},
        "xaxis2": {"anchor": "y2", "matches": "x", "title": {"text": "z"}},
        "yaxis2": {"domain": [0.0, 0.5]},
        "shapes": [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": x, "y1": x,
                    "line": {"color": Q_ORANGE, "dash": "dash", "width": 2}}],
        "annotations": [
            {**title, "y": 0.96, "text": t("elbo.fig_joint")},
            {**title, "y": 0.51, "text": t("elbo.fig_densities")},
            {"x": 1, "y": x, "xref": "x domain", "yref": "y", "text": t("elbo.observed_x", x=tex(x)),
             "showarrow": False, "xanchor": "right", "yanchor": "bottom", "font": {"color": Q_ORANGE},
             "bgcolor": "rgba(255,255,255,0.8)"},
        ],
    }
    return figure(data, layout, height=540, legend_top=False)


@st.cache_data(max_entries=32)
def cached_quadrature(x, w, noise, qmu, qsigma):
    return quadrature_check(x, w, noise, qmu, qsigma)


def check_expander(x, w, noise, qmu, qsigma, ledger):
    with st.expander(t("common.check"), icon="✅"):
        quad = cached_quadrature(x, w, noise, qmu, qsigma)
        rows = [("log p(x)", ledger["lp"], quad["log_evidence"]), ("ELBO", ledger["elbo"], quad["elbo"]),
                ("KL(q‖p(z|x))", ledger["kl"], quad["posterior_kl"])]
        header = (f"| | {t('elbo.check_closed')} | {t('elbo.check_quad')} | {t('common.difference')} |\n"
                  "|---|---|---|---|\n")
        st.markdown(header + "\n".join(f"| {a} | {num(b, 8)} | {num(c, 8)} | {c - b:+.1e} |" for a, b, c in rows))
        identity = ledger["lp"] - ledger["elbo"] - ledger["kl"]
        st.caption(t("elbo.check_note", identity=f"{identity:+.1e}"))


def ledger_deltas(ledger):
    """Metric deltas since the last move of any ledger slider (None when nothing moved)."""
    previous = st.session_state.get(PREV_KEY)
    st.session_state[PREV_KEY] = ledger
    if previous is None or previous["inputs"] == ledger["inputs"]:
        return None
    return {k: ledger[k] - previous[k] for k in ("lp", "elbo", "kl")}


def ledger_metrics(ledger, deltas):
    def delta_kwargs(key, colour):
        if deltas is None:
            return {}
        change = deltas[key]
        if abs(change) < 5e-5:
            return {"delta": "±0.0000", "delta_color": "off", "delta_arrow": "off"}
        return {"delta": f"{change:+.4f}", "delta_color": colour}

    cols = st.columns(3)
    with cols[0]:
        metric("log p(x)", ledger["lp"], **delta_kwargs("lp", "normal"))
    with cols[1]:
        metric("ELBO", ledger["elbo"], **delta_kwargs("elbo", "normal"))
    with cols[2]:
        metric("KL(q‖p(z|x))", ledger["kl"], **delta_kwargs("kl", "inverse"))
    if deltas is not None and abs(deltas["lp"]) >= 5e-5:
        st.info(t("elbo.theta_moved", delta=f"{deltas['lp']:+.4f}"), icon="🧭")
    elif deltas is not None:
        st.caption(t("elbo.q_moved"))


def ledger_section(x, w, noise, qmu, qsigma, ledger):
    lp, lower, kl = ledger["lp"], ledger["elbo"], ledger["kl"]
    recon, pkl = ledger["recon"], ledger["prior_kl"]
    ledger_metrics(ledger, ledger_deltas(ledger))
    st.plotly_chart(ledger_figure(lp, lower, recon, pkl, ledger_range(lp, lower, recon)), config=PLOTLY_CONFIG)
    st.caption(t("elbo.ledger_caption"))
    st.latex(rf"\underbrace{{\log p(x)}}_{{{num(lp)}}}=\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
             rf"+\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z\mid x)\big)}}_{{{num(kl)}}}\qquad(1.4.10)")
    st.latex(rf"\underbrace{{\mathrm{{ELBO}}}}_{{{num(lower)}}}"
             rf"=\underbrace{{\mathbb E_q[\log p(x\mid z)]}}_{{{num(recon)}}}"
             rf"-\underbrace{{\mathrm{{KL}}\big(q(z)\,\|\,p(z)\big)}}_{{{num(pkl)}}}\qquad(1.4.12)")


# --- part 3: optimize q -----------------------------------------------------------------------


@st.cache_data(max_entries=64)
def cached_path(x, w, noise, qmu, qsigma, lr, natural):
    return ascend_elbo(x, w, noise, qmu, qsigma, steps=STEPS, lr=lr, natural=natural)


def landscape_figure(x, w, noise, path, k):
    """log10 KL(q‖p(z|x)) = log10(log p(x) − ELBO) over (μ_q, σ_q), the path, the optimum."""
    post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
    m_lo = min(-4.0, post_mean, path.m.min()) - 0.5
    m_hi = max(4.0, post_mean, path.m.max()) + 0.5
    s_lo = min(0.1, post_sd, path.s.min()) / 1.5
    s_hi = max(3.0, path.s.max()) * 1.5
    # The y axis is log10 σ_q on a *linear* axis with σ-valued tick labels: a uniform grid lets
    # plotly draw the heatmap as one image (on a log axis it draws every cell, ~10× slower).
    m_grid = np.linspace(m_lo, m_hi, 81)
    y_grid = np.linspace(math.log10(s_lo), math.log10(s_hi), 71)
    s_grid = 10.0**y_grid
    gap = posterior_kl(x, w, noise, m_grid[None, :], s_grid[:, None])  # (σ rows, μ columns)
    hover = np.stack([np.broadcast_to(s_grid[:, None], gap.shape), float(log_evidence(x, w, noise)) - gap], -1)
    ticks = [k * 10.0**e for e in range(math.floor(y_grid[0]), math.ceil(y_grid[-1]) + 1) for k in (1, 2, 5)]
    ticks = [v for v in ticks if s_lo <= v <= s_hi]
    if len(ticks) > 10:  # a path that plunged to a tiny σ_q: label decades only
        ticks = [v for v in ticks if math.log10(v).is_integer()]

    def marker(mx, my, name, **style_):
        return {"type": "scatter", "x": [mx], "y": [math.log10(my)], "mode": "markers", "name": name,
                "marker": {"line": {"color": "black", "width": 1}, **style_}}

    data = [
        {"type": "heatmap", "x0": m_grid[0], "dx": m_grid[1] - m_grid[0], "y0": y_grid[0], "dy": y_grid[1] - y_grid[0],
         "z": np.log10(np.maximum(gap, 1e-3)), "customdata": hover,
         "colorscale": "Viridis", "reversescale": True, "zmin": -3, "zmax": 4,
         "colorbar": {"title": {"text": t("elbo.land_colour")}, **log_ticks(-3, 4)},
         "hovertemplate": "μ_q=%{x:.2f}<br>σ_q=%{customdata[0]:.3f}<br>ELBO=%{customdata[1]:.4f}<extra></extra>"},
        {"type": "scatter", "x": path.m, "y": np.log10(path.s), "customdata": path.s, "mode": "lines+markers",
         "name": t("elbo.path"),
         "line": {"color": "white", "width": 1.5},
         "marker": {"size": 5, "color": "white", "line": {"color": "#333", "width": 0.5}},
         "hovertemplate": "μ_q=%{x:.3f}<br>σ_q=%{customdata:.3f}<extra></extra>"},
        marker(post_mean, post_sd, t("elbo.optimum"), symbol="star", size=17, color=POSTERIOR_GREEN,
               line={"color": "white", "width": 1.5}),
        marker(path.m[0], path.s[0], t("elbo.start"), symbol="x", size=12, color=Q_ORANGE),
        marker(path.m[k], path.s[k], t("elbo.at_step", k=k), symbol="circle", size=13, color=Q_ORANGE,
               line={"color": "black", "width": 1.5}),
    ]
    layout = {
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "xaxis": {"title": {"text": "μ_q"}, "range": [m_lo, m_hi]},
        "yaxis": {"title": {"text": t("elbo.sigma_log_axis")}, "range": [y_grid[0], y_grid[-1]],
                  "tickvals": np.log10(ticks), "ticktext": [f"{v:g}" for v in ticks]},
    }
    return figure(data, layout, height=470, legend_top=False)


def progress_figure(path, k):
    kl = np.maximum(path.kl, 1e-10)  # the log axis needs KL > 0; below 1e-10 is rounding
    data = [
        {"type": "scatter", "x": np.arange(kl.size), "y": kl, "mode": "lines", "line": {"color": GAP_RED, "width": 2},
         "name": "KL(qₖ‖p(z|x))", "hovertemplate": "k=%{x}<br>KL=%{y:.3g}<extra></extra>"},
        {"type": "scatter", "x": [k], "y": [kl[k]], "mode": "markers", "hoverinfo": "skip",
         "marker": {"color": Q_ORANGE, "size": 11, "line": {"color": "black", "width": 1}}},
    ]
    layout = {
        "showlegend": False,
        "shapes": [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "y0": 1e-3, "y1": 1e-3,
                    "line": {"color": PRIOR_GREY, "dash": "dot", "width": 1}}],
        "xaxis": {"title": {"text": t("elbo.step_axis")}, "range": [0, STEPS]},
        "yaxis": {"title": {"text": "KL(qₖ‖p(z|x))"}, "type": "log", "exponentformat": "power"},
    }
    return figure(data, layout, height=230, legend_top=False)


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
    land, ledger = st.columns([1.15, 1], gap="large")
    with land:
        st.plotly_chart(landscape_figure(x, w, noise, path, k), config=PLOTLY_CONFIG)
        st.caption(t("elbo.land_caption"))
    with ledger:
        cols = st.columns(2)
        with cols[0]:
            metric("ELBO(qₖ)", float(path.elbo[k]), delta=f"{path.elbo[k] - path.elbo[0]:+.4f}" if k else None)
        with cols[1]:
            metric("KL(qₖ‖p(z|x))", float(path.kl[k]), delta=f"{path.kl[k] - path.kl[0]:+.4f}" if k else None,
                   delta_color="inverse")
        st.caption(t("elbo.q_at_step", k=k, m=num(path.m[k], 3), s=num(path.s[k], 3), lp=num(lp)))
        recon_k = float(reconstruction_term(x, w, noise, path.m[k], path.s[k]))
        st.plotly_chart(ledger_figure(lp, float(path.elbo[k]), recon_k, float(prior_kl(path.m[k], path.s[k])),
                                      x_range, height=175, with_decomposition=False), config=PLOTLY_CONFIG)
        st.plotly_chart(progress_figure(path, k), config=PLOTLY_CONFIG)
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


def weights_figure(counts, edges, est, lp, lower):
    """Histogram of log w; exact ELBO and log p(x) (solid) and their estimates (dotted); the gap in red."""
    top = float(counts.max()) * 1.08
    data = [{"type": "bar", "x": 0.5 * (edges[1:] + edges[:-1]), "y": counts, "width": np.diff(edges),
             "marker": {"color": "rgba(127,127,127,0.55)"}, "name": t("elbo.hist_name"),
             "hovertemplate": "log w≈%{x:.3f}: %{y}<extra></extra>"}]
    for value, colour, dash, width, label in (
            (lp, P_BLUE, "solid", 4, "log p(x)"), (lower, Q_ORANGE, "solid", 4, "ELBO"),
            (est.log_evidence, "#0b3c66", "dot", 2, "log (1/L) Σ wᵢ"),
            (est.elbo, "#a14b00", "dot", 2, "(1/L) Σ log wᵢ")):
        data.append({"type": "scatter", "x": [value, value], "y": [0, top], "mode": "lines", "name": label,
                     "line": {"color": colour, "dash": dash, "width": width}, "hoverinfo": "skip"})
    layout = {
        "bargap": 0, "legend": {"orientation": "h", "y": -0.25, "x": 0},
        "shapes": [{"type": "rect", "x0": lower, "x1": lp, "y0": 0, "y1": 1, "yref": "y domain",
                    "fillcolor": GAP_RED, "opacity": 0.15, "line": {"width": 0}}],
        "xaxis": {"title": {"text": t("elbo.logw_axis")}},
        "yaxis": {"title": {"text": t("elbo.count_axis")}},
    }
    return figure(data, layout, height=330, legend_top=False)


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
        st.plotly_chart(weights_figure(counts, edges, est, lp, lower), config=PLOTLY_CONFIG)
        st.caption(t("elbo.hist_caption", gap=num(kl)))


# --- the page -------------------------------------------------------------------------------


@st.fragment
def model_sections():
    st.header(t("elbo.s2_title"), anchor="part2")
    st.markdown(t("elbo.s2_intro"))
    st.latex(
        r"\begin{aligned}&p(z)=\mathcal N(0,1),\quad p(x\mid z)=\mathcal N(wz,\ \sigma_\varepsilon^2)"
        r"\ \Rightarrow\ p(x)=\mathcal N(0,\ w^2+\sigma_\varepsilon^2)\qquad(1.4.1)\\"
        r"&p(z\mid x)=\frac{p(x,z)}{p(x)}=\mathcal N\Big(\frac{wx}{w^2+\sigma_\varepsilon^2},\ "
        r"\frac{\sigma_\varepsilon^2}{w^2+\sigma_\varepsilon^2}\Big)\qquad(1.4.2),"
        r"\qquad q(z)=\mathcal N(\mu_q,\ \sigma_q^2)\end{aligned}"
    )
    controls, main = st.columns([1, 2.2], gap="large")
    with controls:
        x, w, noise, qmu, qsigma = model_controls()
        post_mean, post_sd = (float(v) for v in posterior(x, w, noise))
        st.caption(t("elbo.posterior_now", m=num(post_mean, 3), s=num(post_sd, 3)))
        if not (-4 <= post_mean <= 4 and 0.1 <= post_sd <= 3):
            st.caption(t("elbo.posterior_off_sliders"))
        st.caption(t("elbo.theta_note"))
    lp, lower = float(log_evidence(x, w, noise)), float(elbo(x, w, noise, qmu, qsigma))
    ledger = {"inputs": (x, w, noise, qmu, qsigma), "lp": lp, "elbo": lower,
              "kl": float(posterior_kl(x, w, noise, qmu, qsigma)),
              "recon": float(reconstruction_term(x, w, noise, qmu, qsigma)), "prior_kl": float(prior_kl(qmu, qsigma))}
    with main:
        ledger_section(x, w, noise, qmu, qsigma, ledger)
        st.plotly_chart(densities_figure(x, w, noise, qmu, qsigma, lp), config=PLOTLY_CONFIG)
        st.caption(t("elbo.densities_caption"))
    check_expander(x, w, noise, qmu, qsigma, ledger)

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
with st.expander(t("elbo.try_title"), icon="🧪"):
    st.markdown(t("elbo.try_text"))
show_code(log_evidence, posterior, elbo, posterior_kl, elbo_gradient, ascend_elbo, weight_estimates,
          two_point, lognormal)
