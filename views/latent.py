"""The latent explorer: the pretrained VAE's 2-D latent plane — eq. 1.4.12 on a real model.

Drag z over the latent map and watch the decoder p_θ(x|z), live in the browser (ui/live/latent.py);
the manifold over the prior's quantiles; a straight-line interpolation between two digits, played
as an animation; and one holdout digit's ELBO ledger with its true posterior p(z|x) on a grid, the
gap KL(q‖p(z|x)) (eq. 1.4.10) and how far importance sampling gets.
"""

import numpy as np
import streamlit as st

from ui import latent_data as data
from ui.components import image, md_table, metric, num, page_footer, tex
from ui.figures_latent import FRAMES, SWEEP_REPEATS, gap_figure, posterior_figure
from ui.i18n import count, t
from ui.images import data_uri, mosaic, upscale
from ui.live.latent import latent_pad, latent_path
from ui.model import holdout, model_card, model_key, pretrained_model
from ui.plots import chart
from vae_core import latent
from vae_core.data import DigitsFileError
from vae_core.device import device_description

STATE = data.STATE  # the URL parameters, in ui/latent_data.py (the lesson uses them too)
CLOSE_NATS = 0.5  # an importance-sampled estimate this close to log p(x) counts as "close"


# --- sections -----------------------------------------------------------------------------------
def settled_digit(model, z, mu, labels):
    """What the server computes for the released z: one binary draw from p_θ(x|z), log p(z) and the
    nearest holdout μ (the pad shows the decoder's mean, computed in the browser, during the drag)."""
    means = latent.decode_means(model, z)[0]
    seed = STATE.value("seed")
    nearest = int(np.argmin(np.sum((mu - z) ** 2, axis=1)))
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        image(
            data_uri(upscale(latent.bernoulli_sample(means, seed), 3)),
            width=84,
            caption=t("latent.sample_caption", seed=seed),
        )
        with st.container():
            st.caption(t("live_latent.settled"))
            st.markdown(
                t(
                    "latent.readout",
                    z1=num(z[0], 2),
                    z2=num(z[1], 2),
                    logp=num(latent.log_prior_density(z), 2),
                    idx=nearest,
                    label=labels[nearest],
                    dist=num(float(np.linalg.norm(mu[nearest] - z)), 2),
                )
            )
            with st.container(horizontal=True, vertical_alignment="center"):
                st.button(
                    t("latent.sample_prior"),
                    on_click=data.sample_prior,
                    args=(STATE,),
                    icon="🎲",
                    help=t("latent.sample_help"),
                )
                draw = STATE.value("draw")
                STATE.write("draw", draw)
                if draw:
                    st.caption(t("latent.draw_caption", draw=draw), width="content")


def clicked_digit_actions(labels):
    """After a click on a digit: send it to the ledger or to an end of the interpolation."""
    clicked = st.session_state.get(data.CLICKED_KEY)
    if clicked is None:
        st.caption(t("latent.map_help"))
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(t("latent.clicked", idx=clicked, label=labels[clicked]), width="content")
        for target, label in (("idx", "latent.to_ledger"), ("from", "latent.to_from"), ("to", "latent.to_to")):
            if st.button(t(label), key=f"latent_send_{target}"):
                STATE.set(target, clicked)
                st.rerun()  # the whole page: the ledger and the path live outside this fragment


@st.fragment
def explorer(model, key):
    """Everything a z move changes. The pad draws while you drag (in the browser); its release reruns
    only this fragment: the URL, the server's draw and readout, the manifold's frame."""
    X, labels = holdout()
    mu, _ = data.codes(model, key)
    idx, start, end = STATE.value("idx"), STATE.value("from"), STATE.value("to")
    st.header(t("latent.map_title"), anchor="map")
    st.markdown(t("live_latent.map_intro"))
    z = np.array(
        latent_pad(
            STATE, idx=idx, start=start, end=end, box=data.view_box(model, key, idx), clicked_key=data.CLICKED_KEY
        )
    )
    st.caption(t("latent.map_legend", start=start, end=end, idx=idx))
    clicked_digit_actions(labels)
    settled_digit(model, z, mu, labels)

    st.header(t("latent.manifold_title"), anchor="manifold")
    picture, text = st.columns([1.7, 1], gap="large")
    with text:
        n = STATE.slider("n", t("latent.manifold_n"))
        st.markdown(t("latent.manifold_text"))
        row, col = latent.manifold_cell(z, n)
        st.caption(t("latent.manifold_cell", row=row + 1, col=col + 1, n=n))
    with picture:
        image(
            data.manifold_png(model, key, n, row, col),
            output_format="PNG",
            caption=t("latent.manifold_caption", n=n, cells=n * n),
        )


def interpolation(model, key):
    X, labels = holdout()
    mu, _ = data.codes(model, key)
    st.header(t("latent.interp_title"), anchor="interpolation")
    st.markdown(t("latent.interp_intro"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        start = STATE.number("from", t("latent.interp_from"), width=200)
        end = STATE.number("to", t("latent.interp_to"), width=200)
        st.button(t("latent.interp_swap"), on_click=lambda: (STATE.set("from", end), STATE.set("to", start)))
    st.markdown(t("live_latent.path_intro"))
    latent_path(STATE, start, end)
    path = latent.interpolation_path(mu[start], mu[end], FRAMES)
    frames = latent.decode_means(model, path)
    strip = mosaic(np.concatenate([X[start][None], frames, X[end][None]])[None], gap=6, background=0.35)
    image(
        np.kron(np.rint(255 * strip).astype(np.uint8), np.ones((3, 3), dtype=np.uint8)),
        output_format="PNG",
        caption=t("latent.interp_caption", start=start, a=labels[start], end=end, b=labels[end], frames=FRAMES),
    )
    nearest = [int(labels[np.argmin(np.sum((mu - p) ** 2, axis=1))]) for p in path]
    st.caption(t("latent.interp_nearest", classes=" → ".join(str(c) for c in nearest)))


def ledger_controls():
    cells = st.columns([1, 1.3, 1.5, 1.1, 0.8], vertical_alignment="bottom")
    with cells[0]:
        idx = STATE.number("idx", t("latent.idx"))
    with cells[1]:
        samples = STATE.select_slider("L", t("latent.L"))
    with cells[2]:
        k = STATE.select_slider("k", t("latent.k"), format_func=count)
    with cells[3]:
        seed = STATE.number("seed", t("common.seed"))
    cells[4].button(t("common.resample"), on_click=STATE.new_seed, help=t("common.resample_help"))
    return idx, samples, k, seed


def ledger(model, key):
    X, labels = holdout()
    st.header(t("latent.ledger_title"), anchor="ledger")
    st.markdown(t("latent.ledger_intro"))
    idx, samples, k, seed = ledger_controls()
    with st.spinner(t("latent.computing")):
        post = data.digit_posterior(model, key, idx)
        elbo, imp = data.digit_estimates(model, key, idx, samples, k, seed)
        sweep = data.digit_sweep(model, key, idx, seed)
    recon = latent.decode_means(model, post.mu_q)[0]
    images, numbers = st.columns([1, 3.2], gap="large")
    with images:
        image(
            upscale(X[idx], 5), output_format="PNG", width=140, caption=t("latent.ledger_x", idx=idx, label=labels[idx])
        )
        image(upscale(recon, 5), output_format="PNG", width=140, caption=t("latent.ledger_recon"))
    with numbers:
        row = st.columns(3)
        recon_se = elbo.recon_se if elbo.samples > 1 else float("nan")  # one draw: no spread to measure
        with row[0]:
            data.metric_pm(t("common.recon_metric"), elbo.recon, recon_se)
        with row[1]:
            metric("KL(q‖p(z))", elbo.kl)
        with row[2]:
            data.metric_pm("ELBO", elbo.elbo, recon_se)
        row = st.columns(3)
        with row[0]:
            metric("log p(x)", post.log_px, help=t("latent.logpx_help", n=len(post.z1), h=num(post.step, 4)))
        with row[1]:
            metric("KL(q‖p(z|x))", post.kl_posterior, help=t("latent.gap_help"))
        with row[2]:
            data.metric_pm(f"log p̂(x), k = {count(k)}", imp.log_px, imp.se)
        st.caption(
            t(
                "latent.ledger_caption" if elbo.samples > 1 else "latent.ledger_caption_one",
                L=samples,
                seed=seed,
                k=f"{k:,}",
                ess=num(imp.ess, 1),
            )
        )
    st.latex(
        r"\begin{aligned}\mathrm{ELBO}&=\mathbb E_{q}[\log p_\theta(x|z)]-\mathrm{KL}(q\,\|\,p(z))\qquad(1.4.12)\\"
        rf"&\approx\tfrac1{{{samples}}}\textstyle\sum_l\log p_\theta(x|z^{{(l)}})-\mathrm{{KL}}"
        rf"={tex(elbo.recon)}-{tex(elbo.kl)}={tex(elbo.elbo)}\qquad(1.4.13)\end{{aligned}}"
    )
    st.latex(
        r"\begin{aligned}\log p(x)&=\mathrm{ELBO}+\mathrm{KL}(q\,\|\,p(z|x))\qquad(1.4.10)\\"
        rf"{tex(post.log_px)}&={tex(post.elbo_quad)}+{tex(post.kl_posterior)}\end{{aligned}}"
    )
    st.caption(
        t(
            "latent.identity_caption" if elbo.samples > 1 else "latent.identity_caption_one",
            elbo=num(post.elbo_quad, 2),
            mc=num(elbo.elbo, 2),
            se=num(recon_se, 2),
        )
    )
    zoom, gap = st.columns(2, gap="large")
    with zoom:
        st.markdown(f"**{t('latent.post_title')}**")
        chart(posterior_figure(post, imp, data.view_box(model, key, idx)))
        st.caption(t("latent.post_caption", **data.post_caption_fields(post)))
    with gap:
        st.markdown(f"**{t('latent.gap_title')}**")
        chart(gap_figure(post, sweep, imp, k))
        st.caption(t("latent.gap_caption", r=SWEEP_REPEATS, seed=seed))
    short = post.log_px - imp.log_px
    case = "above" if short < 0 else "close" if short < CLOSE_NATS else "below"
    outcome = t(
        f"latent.why_{case}", k=f"{k:,}", short=num(abs(short), 2), over=num(abs(short), 2), ess=num(imp.ess, 1)
    )
    st.markdown(
        t(
            "latent.why_short",
            gap=num(post.kl_posterior, 2),
            outcome=outcome,
            card_gap=num(data.card_gap(model_card()), 1),
        )
    )
    st.info(t("latent.errata"), icon="📝")
    check_expander(post, elbo)


def check_expander(post, elbo):
    with st.expander(t("common.check"), icon="✅"):
        header = (t("latent.check_quantity"), t("common.value"), t("latent.check_diff"))
        st.markdown(md_table(header, data.check_rows(post, elbo)))
        st.caption(t("latent.check_note"))


def about_model(model, card):
    device = next(model.parameters()).device
    st.caption(t("latent.device", device=device.type, name=device_description(device)))
    if not card:
        return
    with st.expander(t("latent.about_title"), icon="🧠"):
        st.markdown(t("latent.about_text", **data.about_fields(card)))
        st.caption(t("latent.about_binarization"))


def main():
    st.title(t("latent.title"))
    st.markdown(t("latent.intro"))
    STATE.sync()
    model = pretrained_model()
    if model is None:
        return
    try:
        holdout()
    except DigitsFileError as err:
        st.error(t("latent.no_data"), icon="🧱")
        st.code(str(err), language=None, wrap_lines=True)
        return
    key = model_key(model)
    about_model(model, model_card())
    explorer(model, key)
    interpolation(model, key)
    ledger(model, key)
    page_footer(
        "latent",
        latent.decode_means,
        latent.manifold,
        latent.digit_posterior,
        latent.elbo_estimate,
        latent.importance_estimate,
    )


main()
