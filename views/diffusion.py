"""From the VAE to diffusion (a preview of the chapter's next section): stack the VAE, fix its encoder,
and read the T-step ELBO term by term on an exact 1-D model; then noise a holdout digit.

Math: vae_core/diffusion.py (Ho et al. 2020; Luo 2022). Page logic and URL state: ui/diffusion_data.py;
figures: ui/figures_diffusion.py.
"""

import numpy as np
import streamlit as st

from ui import diffusion_data as data
from ui.components import image, intro, md_table, metric, num, page_footer, tex
from ui.figures_diffusion import denoising_chart, ledger_chart
from ui.i18n import t
from ui.images import mosaic, png
from ui.live.chart import chart_view
from ui.live.ddpm import ddpm_view
from ui.live.noise import noise_view
from ui.state import option_labels
from vae_core import diffusion as d

STATE = data.STATE
LEDGER_CHECK_OPEN = "diffusion_check_open"
NOISE_CHECK_OPEN = "diffusion_noise_check_open"
STRIP_T = (0, 50, 100, 200, 400, 700, 1000)


def stack_section():
    st.header(t("diffusion.stack_title"), anchor="stack")
    intro("diffusion.stack_intro")
    st.latex(
        r"\log p_\theta(x_0)\ \ge\ \mathbb E_{q(x_{1:T}|x_0)}\Big[\log\frac{p(x_T)\prod_{t=1}^{T}"
        r"p_\theta(x_{t-1}|x_t)}{\prod_{t=1}^{T}q(x_t|x_{t-1})}\Big]\qquad(1.4.5,\ z=x_{1:T})"
    )
    st.markdown(t("diffusion.fixed_text"))
    st.latex(
        r"q(x_t|x_{t-1})=\mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big)\qquad(\text{"
        + t("diffusion.tex_ho", n="2")
        + "})"
    )
    st.latex(
        r"q(x_t|x_0)=\mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big),\quad"
        r"\bar\alpha_t=\prod_{s\le t}(1-\beta_s)\qquad(\text{" + t("diffusion.tex_ho", n="4") + "})"
    )
    st.markdown(t("diffusion.split_text"))
    st.latex(
        r"\begin{aligned}\mathrm{ELBO}=\ &\underbrace{\mathbb E_{q(x_1|x_0)}\log p_\theta(x_0|x_1)}"
        rf"_{{\text{{{t('diffusion.tex_recon')}}}}}-\underbrace{{\mathrm{{KL}}\big(q(x_T|x_0)\,\|\,p(x_T)\big)}}"
        rf"_{{\text{{{t('diffusion.tex_prior')}}}}}\\"
        r"&-\sum_{t=2}^{T}\underbrace{\mathbb E_{q(x_t|x_0)}\mathrm{KL}\big(q(x_{t-1}|x_t,x_0)\,\|\,"
        r"p_\theta(x_{t-1}|x_t)\big)}"
        rf"_{{\text{{{t('diffusion.tex_denoise')}}}_t}}\end{{aligned}}\qquad(\text{{{t('diffusion.tex_luo')}}})"
    )
    st.latex(
        r"q(x_{t-1}|x_t,x_0)=\mathcal N\big(\tilde\mu_t(x_t,x_0),\ \tilde\beta_t I\big),\quad"
        r"\tilde\beta_t=\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t\qquad(\text{"
        + t("diffusion.tex_ho", n="6–7")
        + "})"
    )
    st.markdown(t("diffusion.kl_text"))
    st.latex(
        r"\log p_\theta(x_0)-\mathrm{ELBO}=\mathrm{KL}\big(q(x_{1:T}|x_0)\,\|\,p_\theta(x_{1:T}|x_0)\big)"
        r"\ \ge 0\qquad(1.4.10)"
    )


def vae_section():
    st.header(t("diffusion.vae_title"), anchor="vae")
    b = data.bridge()
    st.markdown(
        t(
            "diffusion.vae_text",
            x=num(b["x"], 2),
            w=num(b["w"], 2),
            noise=num(b["noise"], 2),
            beta=num(data.BRIDGE_BETA, 2),
            qmu=num(b["qmu"], 2),
            qsigma=num(b["qsigma"], 2),
        )
    )
    rows = [
        (t("diffusion.vae_row_diff"), num(b["diff_log_p"]), num(b["diff_elbo"]), num(b["diff_gap"])),
        (t("diffusion.vae_row_toy"), num(b["toy_log_p"]), num(b["toy_elbo"]), num(b["toy_gap"])),
    ]
    st.markdown(md_table(("", "log p(x)", "ELBO", "KL(q‖p(z|x))"), rows))
    st.markdown(t("diffusion.vae_link", link=b["link"]))


def controls():
    """Three columns of controls (data, reverse model, chain) inside the ledger's left column."""
    data_col, model_col, chain_col = st.columns(3, gap="small")
    with data_col:
        st.markdown(t("diffusion.data_header"))
        m = STATE.slider("m", t("diffusion.m"))
        s = STATE.slider("s", t("diffusion.s"))
        x0 = STATE.slider("x0", t("diffusion.x0"))
    with model_col:
        st.markdown(t("diffusion.model_header"))
        mh = STATE.slider("mh", t("diffusion.mh"))
        sh = STATE.slider("sh", t("diffusion.sh"))
        variance = STATE.choice("var", t("diffusion.var"), option_labels("diffusion.var_"))
    with chain_col:
        st.markdown(t("diffusion.chain_header"))
        T = STATE.select_slider("T", t("diffusion.T"))
        kind = STATE.choice("sched", t("diffusion.sched"), option_labels("diffusion.sched_"))
        prior = STATE.choice("prior", t("diffusion.prior"), option_labels("diffusion.prior_"))
        st.button(
            t("diffusion.fit"),
            on_click=data.fit,
            args=(STATE,),
            help=t("diffusion.fit_help"),
            icon="🎯",
            type="primary",
        )
    return T, kind, m, s, x0, mh, sh, variance, prior


@st.fragment
def ledger_check(T, kind, x0, mh, sh, variance, prior, res):
    box = st.expander(t("common.check"), icon="✅", key=LEDGER_CHECK_OPEN, on_change="rerun")
    if not box.open:
        STATE.keep("n")
        STATE.keep("seed")
        return
    with box:
        left, right, button = st.columns([1, 1, 0.6], vertical_alignment="bottom")
        with left:
            n = STATE.select_slider("n", t("diffusion.check_n"))
        with right:
            seed = STATE.number("seed", t("common.seed"))
        button.button(t("common.resample"), on_click=STATE.new_seed, help=t("common.resample_help"))
        est = data.check(T, kind, x0, mh, sh, variance, prior, n, seed)

        def row(label, value, se, exact):
            diff = value - exact
            cell = t("common.diff_in_se", diff=f"{diff:+.4f}", z=f"{diff / se:+.1f}") if se > 1e-12 else f"{diff:+.1e}"
            return (label, num(exact), f"{num(value)} ± {num(se)}", cell)

        rows = [
            row("ELBO", est.elbo, est.elbo_se, res.elbo),
            row("log p(x₀)", est.log_evidence, est.log_evidence_se, res.log_evidence),
        ]
        header = (
            "",
            t("diffusion.check_exact"),
            t("diffusion.check_mc", n=f"{n:,}", seed=seed),
            t("common.difference"),
        )
        st.markdown(md_table(header, rows))
        st.caption(t("diffusion.check_note"))


@st.fragment
def ledger_section():
    st.header(t("diffusion.ledger_title"), anchor="ledger")
    intro("diffusion.ledger_intro")
    left, right = st.columns([1.55, 1], gap="medium")
    with left:
        T, kind, m, s, x0, mh, sh, variance, prior = controls()
    res = data.numbers(T, kind, m, s, x0, mh, sh, variance, prior)
    denoise = float(res.denoising.sum())
    with right:
        cols = st.columns(3, gap="small")
        with cols[0]:
            metric("log p(x₀)", res.log_evidence)
        with cols[1]:
            metric("ELBO", res.elbo)
        with cols[2]:
            metric(t("diffusion.gap_metric"), res.gap)
        ledger = ledger_chart(-res.log_evidence, -res.reconstruction, res.prior_matching, denoise, res.gap)
        chart_view(STATE, "live_ledger", ledger)
    formula, words = st.columns([1, 1.3], gap="medium")
    with formula:
        recon, prior_, denoise_ = (t(f"diffusion.tex_{k}") for k in ("recon", "prior", "denoise"))
        st.latex(
            rf"\begin{{aligned}}\mathrm{{ELBO}}&=\text{{{recon}}}-\text{{{prior_}}}-\textstyle\sum_t\text{{{denoise_}}}_t\\"
            rf"&={tex(res.reconstruction, 4)}-{tex(res.prior_matching, 4)}-{tex(denoise, 4)}\\"
            rf"&={res.elbo:.4f}\end{{aligned}}"
        )
    with words:
        st.markdown(
            t(
                "diffusion.ledger_read",
                T=T,
                n_kl=max(T - 1, 0),
                expected=num(res.expected_elbo),
                best=num(res.best_expected),
            )
        )
        if res.gap < 1e-9:
            st.success(t("diffusion.gap_closed"), icon="🎯")
    if T > 1:
        st.caption(t("diffusion.denoise_caption"))
        chart_view(STATE, "live_denoising", denoising_chart(res.denoising))
    ledger_check(T, kind, x0, mh, sh, variance, prior, res)


@st.fragment
def noise_section():
    st.header(t("diffusion.noise_title"), anchor="noise")
    intro("diffusion.noise_intro")
    try:
        bits, labels = data.holdout_digits()
    except data.DigitsFileError:
        st.error(t("diffusion.no_digits"), icon="⚠️")
        for name in ("digit", "t", "nsched", "nseed", "dseed", "dstart"):
            STATE.keep(name)
        return
    drawn, bad_link = data.drawn_digit()
    if bad_link:
        st.warning(t("diffusion.draw_link_bad"), icon="⚠️")
    left, right = st.columns([1, 1], vertical_alignment="bottom")
    with left:
        if drawn is None:
            digit = STATE.number("digit", t("diffusion.digit"))
        else:
            digit = STATE.keep("digit")
            st.button(t("diffusion.drawn_back"), on_click=data.forget_drawing, icon="↩️")
    with right:
        kind = STATE.choice("nsched", t("diffusion.sched"), option_labels("diffusion.sched_"))
    seed = STATE.keep("nseed")
    sched = data.schedule(data.DIGIT_T, kind)
    shown = bits[digit] if drawn is None else drawn
    x0 = data.signed(shown)
    caption = None if drawn is None else t("diffusion.xt_caption_drawn", t="{t}")
    step = noise_view(STATE, shown, data.noise(x0.shape, seed), data.DIGIT_T, kind, int(labels[digit]), caption)
    snr = "∞" if step == 0 else f"{float(sched.snr[step - 1]):.4g}"
    st.caption(t("diffusion.settled", t=step, ab=num(float(sched.alpha_bar[step]), 6), snr=snr))
    strip = np.stack([data.to_unit(data.noised(x0, sched, s, seed)) for s in STRIP_T])[None]
    image(png(upscale_strip(strip)), caption=t("diffusion.strip_caption", ts=", ".join(map(str, STRIP_T))))
    st.button(t("diffusion.new_noise"), on_click=STATE.new_seed, args=("nseed",))
    noise_check(kind, step, seed)
    draw_section(shown, x0.shape, step, seed, kind)


def draw_section(bits, shape, step, seed, kind):
    """Watch it draw (inside the noise section's fragment: "denoise from here" starts from its x_t)."""
    st.header(t("diffusion.draw_title"), anchor="draw")
    intro("diffusion.draw_intro")
    ddpm_view(STATE, bits, data.noise(shape, seed), step)
    if kind != "linear":
        st.caption(t("diffusion.draw_schedule_note"))
    card = data.ddpm_card()
    if card:
        bound, vae = card["holdout_bound"]["neg_elbo"], card["vae_on_the_same_digits"]["neg_elbo"]
        st.caption(
            t(
                "diffusion.draw_card",
                bound=num(bound["mean"], 1),
                se=num(bound["se"], 1),
                vae=num(vae["mean"], 1),
                vae_se=num(vae["se"], 1),
                n=card["holdout_bound"]["n_images"],
                mb=num(card.get("browser_export", {}).get("bytes", 0) / 1e6, 2),
            )
        )


def upscale_strip(strip):
    image = mosaic(strip, gap=3, background=1.0)
    return np.kron(np.rint(255 * image).astype(np.uint8), np.ones((3, 3), dtype=np.uint8))


@st.fragment
def noise_check(kind, step, seed):
    box = st.expander(t("diffusion.noise_check_title"), icon="✅", key=NOISE_CHECK_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        n = data.NOISE_CHECK_N
        rows = []

        def pm(value, se):
            return f"{num(value)} ± {num(se)}"

        for r in data.jump_vs_walk(kind, step, n, seed):
            pixel = f"x₀ = {r.x0:+.0f}"
            rows.append((pixel, t("diffusion.moment_mean"), num(r.mean), pm(*r.jump[:2]), pm(*r.walk[:2])))
            rows.append((pixel, t("diffusion.moment_var"), num(r.var), pm(*r.jump[2:]), pm(*r.walk[2:])))
        header = (
            "",
            "",
            t("diffusion.check_closed"),
            t("diffusion.check_jump", n=f"{n:,}"),
            t("diffusion.check_walk", n=f"{n:,}", t=step),
        )
        st.markdown(md_table(header, rows))
        st.caption(t("diffusion.noise_check_note", seed=seed))


st.title(t("diffusion.title"))
st.info(t("diffusion.preview"), icon="🔭")
intro("diffusion.intro")
STATE.sync()
stack_section()
vae_section()
ledger_section()
noise_section()
page_footer("diffusion", d.make_schedule, d.marginal, d.gaussian_reverse, d.ledger, d.path_estimates, d.sample_walk)
