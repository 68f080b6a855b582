"""Draw your own digit: the pretrained VAE's encoder follows your pen (eq. 1.4.12 on *your* x).

While you draw, the browser preprocesses the drawing like MNIST, runs the encoder q_φ(z|x) and
the decoder at μ (ui/live/draw.py → static/live/draw.js). A finished stroke sends the 28 × 28
binary digit here once; the page then integrates over the latent plane for the exact ledger —
log p(x), the ELBO and the gap KL(q‖p(z|x)) — and draws the true posterior next to q
(vae_core.latent, shared with the latent explorer). The digit lives in the URL as `draw=`.
"""

import streamlit as st

from ui import draw_data as data
from ui.components import image, md_table, metric, num, page_footer, tex
from ui.figures_latent import posterior_figure
from ui.i18n import t
from ui.images import upscale
from ui.latent_data import check_rows, post_caption_fields
from ui.live.draw import draw_view
from ui.model import model_key, pretrained_model
from ui.plots import chart
from vae_core import latent, preprocess

STATE = data.STATE  # the URL parameter, in ui/draw_data.py (the lesson uses it too)
UPLOAD_KEY, MESSAGE_KEY = "draw_upload", "draw_upload_message"
ZOOM = 5  # the ledger's pictures: 140 × 140 pixels


# --- input: the pad, or a picture ----------------------------------------------------------------
def on_upload():
    """A new file in the uploader: preprocess it like the pad; it becomes the digit, or a message."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None:
        st.session_state.pop(MESSAGE_KEY, None)
        return
    try:
        STATE.set("draw", data.read_upload(upload.getvalue()))
        st.session_state[MESSAGE_KEY] = ("ok", upload.name)
    except data.UploadError as err:
        st.session_state[MESSAGE_KEY] = (err.reason, upload.name)


def upload_picture():
    message = st.session_state.get(MESSAGE_KEY)
    with st.expander(t("draw.upload_title"), icon="🖼️", expanded=message is not None):
        st.file_uploader(
            t("draw.upload_label"),
            type=["png", "jpg", "jpeg"],
            key=UPLOAD_KEY,
            max_upload_size=data.MAX_UPLOAD_MB,
            on_change=on_upload,
            help=t("draw.upload_help", mb=data.MAX_UPLOAD_MB),
        )
        if message is None:
            return
        reason, name = message
        text = t(f"draw.upload_{reason}", name=name.replace("`", "'")[:60], mb=data.MAX_UPLOAD_MB)
        if reason == "ok":
            st.success(text, icon="✅")
        else:
            st.error(text, icon="🚫")


# --- the ledger of your digit --------------------------------------------------------------------
def ledger_metrics(post):
    row = st.columns(3)
    with row[0]:
        metric("log p(x)", post.log_px, help=t("draw.logpx_help", n=len(post.z1), h=num(post.step, 4)))
    with row[1]:
        metric("ELBO", post.elbo_quad, help=t("draw.elbo_help"))
    with row[2]:
        metric("KL(q‖p(z|x))", post.kl_posterior, help=t("draw.gap_help"))
    row = st.columns(3)
    with row[0]:
        metric("E_q[log p(x|z)]", post.recon_quad, help=t("draw.recon_help"))
    with row[1]:
        metric("KL(q‖p(z))", post.kl_prior, help=t("draw.kl_help"))


def ledger(model, key, packed):
    st.header(t("draw.ledger_title"), anchor="ledger")
    st.markdown(t("draw.ledger_intro"))
    with st.spinner(t("draw.computing")):
        post = data.digit_posterior(model, key, packed)
        imp, elbo, recon, box = data.digit_extras(model, key, packed)
    images, numbers = st.columns([1, 3.2], gap="large")
    with images, st.container(horizontal=True, gap="small"):
        image(upscale(data.bits(packed), ZOOM), output_format="PNG", width=28 * ZOOM, caption=t("draw.ledger_x"))
        image(upscale(recon, ZOOM), output_format="PNG", width=28 * ZOOM, caption=t("draw.ledger_recon"))
    with numbers:
        ledger_metrics(post)
    st.latex(
        r"\begin{aligned}\mathrm{ELBO}&=\mathbb E_{q}[\log p_\theta(x|z)]-\mathrm{KL}(q\,\|\,p(z))\qquad(1.4.12)\\"
        rf"&={tex(post.recon_quad)}-{tex(post.kl_prior)}={tex(post.elbo_quad)}\\"
        r"\log p(x)&=\mathrm{ELBO}+\mathrm{KL}(q\,\|\,p(z|x))\qquad(1.4.10)\\"
        rf"{tex(post.log_px)}&={tex(post.elbo_quad)}+{tex(post.kl_posterior)}\end{{aligned}}"
    )
    if post.elbo_quad <= post.log_px:
        st.success(
            t(
                "draw.bound_holds",
                elbo=num(post.elbo_quad, 2),
                logpx=num(post.log_px, 2),
                gap=num(post.log_px - post.elbo_quad, 2),
            ),
            icon="⚖️",
        )
    else:  # only quadrature error could do this; say so rather than hide it
        st.warning(t("draw.bound_broken", gap=num(post.log_px - post.elbo_quad, 4)), icon="⚠️")
    zoom, words = st.columns([1.3, 1], gap="large")
    with zoom:
        st.markdown(f"**{t('draw.post_title')}**")
        chart(posterior_figure(post, imp, box))
    with words:
        st.markdown(t("draw.post_caption", seed=data.IS_SEED, **post_caption_fields(post)))
        st.markdown(t("draw.post_why"))
    with st.expander(t("common.check"), icon="✅"):
        header = (t("latent.check_quantity"), t("common.value"), t("latent.check_diff"))
        st.markdown(md_table(header, check_rows(post, elbo)))
        st.caption(t("draw.check_note", L=elbo.samples, seed=elbo.seed))


def noise_this_digit(packed):
    """A link on to the diffusion page's noise view, carrying this drawing (its own ``draw=``)."""
    from ui.diffusion_data import noise_link

    st.markdown(t("diffusion.noise_this_digit", link=noise_link(packed)))


@st.fragment
def pad_and_ledger(model, key):
    """The pad's stroke end and an upload rerun only this fragment."""
    st.header(t("draw.pad_title"), anchor="pad")
    st.markdown(t("draw.pad_intro"))
    packed = draw_view(STATE, settled_q=lambda digit: data.digit_q(model, key, digit))
    st.caption(t("draw.binarization", threshold=preprocess.THRESHOLD, box=preprocess.BOX))
    noise_this_digit(packed)
    upload_picture()
    ledger(model, key, packed)


def main():
    st.title(t("draw.title"))
    st.markdown(t("draw.intro"))
    STATE.sync()
    model = pretrained_model()
    if model is None:
        STATE.write("draw", STATE.value("draw"))
        return
    pad_and_ledger(model, model_key(model))
    page_footer(
        "draw", preprocess.render, preprocess.to_mnist, preprocess.binarize, preprocess.pack, latent.digit_posterior
    )


main()
