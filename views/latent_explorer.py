"""The latent explorer: the pretrained VAE's 2-D latent plane — eq. 1.4.12 on a real model.

Move z and watch the decoder p_θ(x|z); the manifold over the prior's quantiles; a straight-line
interpolation between two digits; and one holdout digit's ELBO ledger with its true posterior
p(z|x) on a grid, the gap KL(q‖p(z|x)) (eq. 1.4.10) and how far importance sampling gets.
"""

import base64
import io
import math

import numpy as np
import pyarrow as pa
import streamlit as st
from PIL import Image

from ui.components import metric, metric_note, num, page_footer, tex
from ui.figures_latent import (
    CURRENT,
    FRAMES,
    SWEEP_KS,
    SWEEP_REPEATS,
    Z_LIM,
    gap_figure,
    map_layers,
    map_spec,
    posterior_figure,
)
from ui.i18n import current_lang, t
from ui.model import model_card, pretrained_model
from ui.plots import PLOTLY_CONFIG
from ui.state import ChoiceParam, FloatParam, IntParam, UrlState
from vae_core import latent
from vae_core.data import HOLDOUT_PER_CLASS, N_CLASSES, DigitsFileError, load_digits, load_holdout_binary
from vae_core.device import device_description

HOLDOUT_SIZE = HOLDOUT_PER_CLASS * N_CLASSES  # 500; sorted by class, 50 per digit
STATE = UrlState(
    "latent",
    FloatParam("z1", 0.0, -Z_LIM, Z_LIM, 0.01),
    FloatParam("z2", 0.0, -Z_LIM, Z_LIM, 0.01),
    IntParam("draw", 0, 0, 2**31 - 1),
    IntParam("n", 15, 5, 30),
    IntParam("from", 167, 0, HOLDOUT_SIZE - 1),
    IntParam("to", 363, 0, HOLDOUT_SIZE - 1),
    IntParam("idx", 118, 0, HOLDOUT_SIZE - 1),  # a 2 whose q sits beside its posterior
    ChoiceParam("L", 100, (1, 10, 100, 1000)),
    ChoiceParam("k", 5000, (1, 10, 100, 1000, 5000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
MAP_KEY, CLICKED_KEY, SEEN_KEY = "latent_map", "latent_clicked", "latent_seen_selection"
ZOOM = 9  # the decoded digit is shown at 252 × 252 pixels
CLOSE_NATS = 0.5  # an importance-sampled estimate this close to log p(x) counts as "close"


def data_uri(image: np.ndarray) -> str:
    """A small image inline as a PNG data URI: it arrives with the rerun's message, so the browser
    shows it without a second request (media files cost a round trip per slider move)."""
    return "data:image/png;base64," + base64.b64encode(png(image)).decode("ascii")


def png(image: np.ndarray) -> bytes:
    """uint8 grey (H, W) or RGB (H, W, 3) → PNG bytes (lossless; identical bytes keep the browser's copy)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


# --- cached data and model computations (the model is one shared object: key = sha256 + device) ---
@st.cache_data(max_entries=1, show_spinner=False)
def holdout():
    """The holdout digits as the model card evaluates them (one fixed binarization) and their labels."""
    return load_holdout_binary(), load_digits("holdout")[1]


def model_key(model) -> tuple[str, str]:
    return (model_card() or {}).get("weights_sha256", ""), str(next(model.parameters()).device)


@st.cache_data(max_entries=2, show_spinner=False)
def codes(_model, key):
    return latent.encode(_model, holdout()[0])


@st.cache_data(max_entries=8, show_spinner=False)
def manifold_images(_model, key, n: int):
    return latent.manifold(_model, n)


@st.cache_data(max_entries=64, show_spinner=False)
def manifold_png(_model, key, n: int, row: int, col: int) -> bytes:
    """The manifold mosaic (ink white on black, as MNIST) with cell (row, col) framed in yellow.

    A palette PNG (254 greys + the frame colour) encodes ~3× faster and smaller than RGB; small
    grids are doubled so the digits stay crisp on a projector.
    """
    gap, side = 2, 28
    tiles = latent.mosaic(manifold_images(_model, key, n), gap=gap, background=0.35)
    index = np.rint(254 * tiles).astype(np.uint8)  # palette entries 0..254 are greys
    top, left = row * (side + gap), col * (side + gap)
    cell = index[top : top + side, left : left + side].copy()
    index[max(top - 2, 0) : top + side + 2, max(left - 2, 0) : left + side + 2] = 255  # 255: the frame colour
    index[top : top + side, left : left + side] = cell
    if index.shape[0] < 480:
        index = np.kron(index, np.ones((2, 2), dtype=np.uint8))
    image = Image.frombytes("P", index.shape[::-1], np.ascontiguousarray(index).tobytes())
    greys = np.repeat(np.rint(np.arange(255) * 255 / 254).astype(np.uint8), 3)
    image.putpalette([*greys.tolist(), *(int(CURRENT[i : i + 2], 16) for i in (1, 3, 5))])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@st.cache_data(max_entries=24, show_spinner=False)  # ≤ 1 MB each (a 360² float64 grid)
def digit_posterior(_model, key, idx: int):
    return latent.digit_posterior(_model, holdout()[0][idx])


@st.cache_data(max_entries=64, show_spinner=False)
def view_box(_model, key, idx: int):
    return digit_posterior(_model, key, idx).view_box()


@st.cache_data(max_entries=64, show_spinner=False)
def digit_estimates(_model, key, idx: int, samples: int, k: int, seed: int):
    x = holdout()[0][idx]
    return latent.elbo_estimate(_model, x, samples, seed), latent.importance_estimate(_model, x, k, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def digit_sweep(_model, key, idx: int, seed: int):
    return latent.importance_sweep(_model, holdout()[0][idx], SWEEP_KS, SWEEP_REPEATS, seed)


# --- callbacks ----------------------------------------------------------------------------------
def set_z(z1: float, z2: float) -> None:
    for name, value in (("z1", z1), ("z2", z2)):
        STATE.set(name, STATE.params[name].snap(float(value)))


def sample_prior() -> None:
    """z ~ N(0, I) from the next seeded draw (the seed is the URL's `draw`)."""
    draw = STATE.value("draw") + 1
    STATE.set("draw", draw)
    set_z(*np.random.default_rng(draw).standard_normal(2))


def on_map_select() -> None:
    """A click on a digit moves z to that digit's μ; a box drag moves z to the box's centre."""
    selection = (st.session_state.get(MAP_KEY) or {}).get("selection") or {}
    seen = st.session_state.setdefault(SEEN_KEY, {})
    picked, box = list(selection.get("pick") or []), dict(selection.get("box") or {})
    if picked and picked != seen.get("pick"):
        set_z(picked[0]["z1"], picked[0]["z2"])
        st.session_state[CLICKED_KEY] = int(picked[0]["idx"])
    elif box.get("z1") and box.get("z2") and box != seen.get("box"):
        set_z(np.mean(box["z1"]), np.mean(box["z2"]))
        st.session_state[CLICKED_KEY] = None
    seen.update(pick=picked, box=box)


def new_seed() -> None:
    STATE.set("seed", int(np.random.default_rng().integers(0, 2**31 - 1)))


@st.cache_data(max_entries=16, show_spinner=False)
def map_base(_model, key, start: int, end: int, idx: int, lang: str) -> dict:
    """Everything on the map that a z move does not change (built once per view; ``lang`` keys
    the translated legend)."""
    mu, sd = codes(_model, key)
    return map_layers(mu, holdout()[1], start, end, idx, sd[idx], view_box(_model, key, idx))


def point_table(z) -> pa.Table:
    """The map's one-row dataset (z1, z2) as an Arrow table built from raw buffers.

    Streamlit turns a dict (or a DataFrame) into Arrow through pandas, and even ``pa.array`` of a
    list or ndarray imports pandas to check the input's type; that import alone costs the server
    ~37 MiB of RSS (measured), and nothing else in the app needs pandas. ``from_buffers`` does not.
    """
    column = [pa.Array.from_buffers(pa.float64(), 1, [None, pa.py_buffer(np.float64(v).tobytes())])
              for v in (z[0], z[1])]
    return pa.Table.from_arrays(column, names=["z1", "z2"])


# --- sections -----------------------------------------------------------------------------------
def decoded_digit(model, z, mu, labels):
    """The decoder's mean image at z, one binary draw from it, and where z sits."""
    means = latent.decode_means(model, z)[0]
    seed = STATE.value("seed")
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.image(data_uri(latent.upscale(means, ZOOM)), width=28 * ZOOM, caption=t("latent.decoded_caption"))
        st.image(data_uri(latent.upscale(latent.bernoulli_sample(means, seed), 3)), width=84,
                 caption=t("latent.sample_caption", seed=seed))
    nearest = int(np.argmin(np.sum((mu - z) ** 2, axis=1)))
    st.markdown(t("latent.readout", z1=num(z[0], 2), z2=num(z[1], 2), logp=num(latent.log_prior_density(z), 2),
                  idx=nearest, label=labels[nearest], dist=num(float(np.linalg.norm(mu[nearest] - z)), 2)))


def clicked_digit_actions(labels):
    """After a click on a digit: send it to the ledger or to an end of the interpolation."""
    clicked = st.session_state.get(CLICKED_KEY)
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
    """Everything a z move changes: the map's star, the decoded digit, the manifold's frame."""
    X, labels = holdout()
    mu, _ = codes(model, key)
    idx, start, end = STATE.value("idx"), STATE.value("from"), STATE.value("to")
    st.subheader(t("latent.map_title"))
    st.markdown(t("latent.map_intro"))
    plane, side = st.columns([1.5, 1], gap="medium")
    with side:
        picture = st.container()
        z = np.array([STATE.slider("z1", "z₁"), STATE.slider("z2", "z₂")])
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button(t("latent.sample_prior"), on_click=sample_prior, icon="🎲", help=t("latent.sample_help"))
            draw = STATE.value("draw")
            STATE.write("draw", draw)
            if draw:
                st.caption(t("latent.draw_caption", draw=draw), width="content")
        with picture:
            decoded_digit(model, z, mu, labels)
    with plane:
        st.vega_lite_chart(point_table(z),
                           map_spec(map_base(model, key, start, end, idx, current_lang())),
                           key=MAP_KEY, on_select=on_map_select, selection_mode=("pick", "box"), width="content")
        st.caption(t("latent.map_legend", start=start, end=end, idx=idx))
        clicked_digit_actions(labels)

    st.subheader(t("latent.manifold_title"))
    picture, text = st.columns([1.7, 1], gap="large")
    with text:
        n = STATE.slider("n", t("latent.manifold_n"))
        st.markdown(t("latent.manifold_text"))
        row, col = latent.manifold_cell(z, n)
        st.caption(t("latent.manifold_cell", row=row + 1, col=col + 1, n=n))
    picture.image(manifold_png(model, key, n, row, col), output_format="PNG",
                  caption=t("latent.manifold_caption", n=n, cells=n * n))


def interpolation(model, key):
    X, labels = holdout()
    mu, _ = codes(model, key)
    st.subheader(t("latent.interp_title"))
    st.markdown(t("latent.interp_intro"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        start = STATE.number("from", t("latent.interp_from"), width=200)
        end = STATE.number("to", t("latent.interp_to"), width=200)
        st.button(t("latent.interp_swap"), on_click=lambda: (STATE.set("from", end), STATE.set("to", start)))
    path = latent.interpolation_path(mu[start], mu[end], FRAMES)
    frames = latent.decode_means(model, path)
    strip = latent.mosaic(np.concatenate([X[start][None], frames, X[end][None]])[None], gap=6, background=0.35)
    st.image(np.kron(np.rint(255 * strip).astype(np.uint8), np.ones((3, 3), dtype=np.uint8)), output_format="PNG",
             caption=t("latent.interp_caption", start=start, a=labels[start], end=end, b=labels[end], frames=FRAMES))
    nearest = [int(labels[np.argmin(np.sum((mu - p) ** 2, axis=1))]) for p in path]
    st.caption(t("latent.interp_nearest", classes=" → ".join(str(c) for c in nearest)))


def ledger_controls():
    cells = st.columns([1, 1.3, 1.5, 1.1, 0.8], vertical_alignment="bottom")
    with cells[0]:
        idx = STATE.number("idx", t("latent.idx"))
    with cells[1]:
        samples = STATE.select_slider("L", t("latent.L"))
    with cells[2]:
        k = STATE.select_slider("k", t("latent.k"), format_func=lambda v: f"{v:,}")
    with cells[3]:
        seed = STATE.number("seed", t("common.seed"))
    cells[4].button(t("common.resample"), on_click=new_seed, help=t("common.resample_help"))
    return idx, samples, k, seed


def percent(share: float) -> str:
    """A probability as a percentage with enough digits to tell 0.03 % from 0 (and no 8e-06 %)."""
    value = 100.0 * share
    if value >= 0.1 or value == 0:
        return f"{value:.1f} %"
    return f"{value:.2g} %" if value >= 0.001 else "< 0.001 %"


def metric_pm(label: str, value: float, se: float) -> None:
    """A Monte Carlo estimate: the value, ± one standard error underneath (grey, no arrow); a
    single draw has no standard error to show."""
    metric_note(label, num(value), t("common.pm_se", se=num(se)) if np.isfinite(se) else t("latent.pm_none"))


def ledger(model, key):
    X, labels = holdout()
    st.subheader(t("latent.ledger_title"))
    st.markdown(t("latent.ledger_intro"))
    idx, samples, k, seed = ledger_controls()
    with st.spinner(t("latent.computing")):
        post = digit_posterior(model, key, idx)
        elbo, imp = digit_estimates(model, key, idx, samples, k, seed)
        sweep = digit_sweep(model, key, idx, seed)
    recon = latent.decode_means(model, post.mu_q)[0]
    images, numbers = st.columns([1, 3.2], gap="large")
    with images:
        st.image(latent.upscale(X[idx], 5), output_format="PNG", width=140,
                 caption=t("latent.ledger_x", idx=idx, label=labels[idx]))
        st.image(latent.upscale(recon, 5), output_format="PNG", width=140, caption=t("latent.ledger_recon"))
    with numbers:
        row = st.columns(3)
        recon_se = elbo.recon_se if elbo.samples > 1 else float("nan")  # one draw: no spread to measure
        with row[0]:
            metric_pm("log p(x|z) (recon)", elbo.recon, recon_se)
        with row[1]:
            metric("KL(q‖p(z))", elbo.kl)
        with row[2]:
            metric_pm("ELBO", elbo.elbo, recon_se)
        row = st.columns(3)
        with row[0]:
            metric("log p(x)", post.log_px, help=t("latent.logpx_help", n=len(post.z1), h=num(post.step, 4)))
        with row[1]:
            metric("KL(q‖p(z|x))", post.kl_posterior, help=t("latent.gap_help"))
        with row[2]:
            metric_pm(f"log p̂(x), k = {k:,}", imp.log_px, imp.se)
        st.caption(t("latent.ledger_caption" if elbo.samples > 1 else "latent.ledger_caption_one", L=samples,
                     seed=seed, k=f"{k:,}", ess=num(imp.ess, 1)))
    st.latex(
        r"\begin{aligned}\mathrm{ELBO}&=\mathbb E_{q}[\log p_\theta(x|z)]-\mathrm{KL}(q\,\|\,p(z))\qquad(1.4.12)\\"
        rf"&\approx\tfrac1{{{samples}}}\textstyle\sum_l\log p_\theta(x|z^{{(l)}})-\mathrm{{KL}}"
        rf"={tex(elbo.recon)}-{tex(elbo.kl)}={tex(elbo.elbo)}\qquad(1.4.13)\end{{aligned}}"
    )
    st.latex(
        r"\begin{aligned}\log p(x)&=\mathrm{ELBO}+\mathrm{KL}(q\,\|\,p(z|x))\qquad(1.4.10)\\"
        rf"{tex(post.log_px)}&={tex(post.elbo_quad)}+{tex(post.kl_posterior)}\end{{aligned}}"
    )
    st.caption(t("latent.identity_caption" if elbo.samples > 1 else "latent.identity_caption_one",
                 elbo=num(post.elbo_quad, 2), mc=num(elbo.elbo, 2), se=num(recon_se, 2)))
    zoom, gap = st.columns(2, gap="large")
    with zoom:
        st.markdown(f"**{t('latent.post_title')}**")
        st.plotly_chart(posterior_figure(post, imp, view_box(model, key, idx)), config=PLOTLY_CONFIG)
        st.caption(t("latent.post_caption", qmu=f"({num(post.mu_q[0], 3)}, {num(post.mu_q[1], 3)})",
                     qsd=f"({num(post.sd_q[0], 3)}, {num(post.sd_q[1], 3)})",
                     pmu=f"({num(post.post_mean[0], 3)}, {num(post.post_mean[1], 3)})",
                     psd=f"({num(post.post_sd[0], 3)}, {num(post.post_sd[1], 3)})",
                     inside=percent(post.mass_in_q(2.0)), ideal=percent(latent.mass_inside(2.0))))
    with gap:
        st.markdown(f"**{t('latent.gap_title')}**")
        st.plotly_chart(gap_figure(post, sweep, imp, k), config=PLOTLY_CONFIG)
        st.caption(t("latent.gap_caption", r=SWEEP_REPEATS, seed=seed))
    short = post.log_px - imp.log_px
    case = "above" if short < 0 else "close" if short < CLOSE_NATS else "below"
    outcome = t(f"latent.why_{case}", k=f"{k:,}", short=num(abs(short), 2), over=num(abs(short), 2),
                ess=num(imp.ess, 1))
    card_gap = ((model_card() or {}).get("holdout", {}).get("neg_log_px_importance", {}).get("5000", {})
                .get("gap_to_grid", float("nan")))
    st.markdown(t("latent.why_short", gap=num(post.kl_posterior, 2), outcome=outcome, card_gap=num(card_gap, 1)))
    st.info(t("latent.errata"), icon="📝")
    check_expander(post, elbo)


def check_expander(post, elbo):
    with st.expander(t("common.check"), icon="✅"):
        spacings = list(post.log_px_spacings)
        window = post.log_px_spacings[spacings[0]]
        rows = [(t("latent.check_window", h=num(spacings[0], 4), n=len(post.z1)), num(post.log_px_window, 4), "—")]
        for stride, spacing in zip((2, 4), spacings[1:], strict=True):
            value = post.log_px_spacings[spacing]
            rows.append((t("latent.check_spacing", stride=stride, h=num(spacing, 4)), num(value, 4),
                         f"{value - window:+.1e}"))
        coarse = post.log_px_coarse - window
        rows.append((t("latent.check_coarse"), num(post.log_px_coarse, 4),
                     f"{coarse:+.3f}" if abs(coarse) >= 5e-4 else f"{coarse:+.1e}"))
        outside = math.exp(post.log_outside - post.log_px) if np.isfinite(post.log_outside) else 0.0
        rows.append((t("latent.check_outside"), f"{outside:.1e}", "—"))
        rows.append((t("latent.check_post_sum"), f"{post.posterior.sum() + outside:.6f}",
                     f"{post.posterior.sum() + outside - 1:+.1e}"))
        rows.append((t("latent.check_q_mass"), f"{post.q_mass:.6f}", f"{post.q_mass - 1:+.1e}"))
        rows.append((t("latent.check_recon_quad"), num(post.recon_quad, 4), "—"))
        diff = elbo.recon - post.recon_quad
        spread = elbo.samples > 1 and elbo.recon_se > 0
        rows.append((t("latent.check_recon_mc", L=elbo.samples),
                     f"{num(elbo.recon, 4)} ± {num(elbo.recon_se, 4) if spread else '—'}",
                     t("common.diff_in_se", diff=f"{diff:+.4f}", z=f"{diff / elbo.recon_se:+.1f}")
                     if spread else f"{diff:+.4f}"))
        rows.append((t("latent.check_gap_diff"), num(post.gap, 4), "—"))
        rows.append((t("latent.check_gap_direct"), num(post.kl_posterior, 4), f"{post.kl_posterior - post.gap:+.1e}"))
        header = f"| {t('latent.check_quantity')} | {t('common.value')} | {t('latent.check_diff')} |\n|---|---|---|\n"
        cells = ("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
        st.markdown(header + "\n".join(cells))
        st.caption(t("latent.check_note"))


def about_model(model, card):
    device = next(model.parameters()).device
    st.caption(t("latent.device", device=device.type, name=device_description(device)))
    if not card:
        return
    with st.expander(t("latent.about_title"), icon="🧠"):
        holdout_card = card.get("holdout", {})
        args, train = card.get("model_args", {}), card.get("training", {})
        is_gaps = holdout_card.get("neg_log_px_importance", {})
        st.markdown(t(
            "latent.about_text",
            enc="-".join(str(w) for w in [784, *args.get("encoder_hidden", []), 2]),
            dec="-".join(str(w) for w in [2, *args.get("decoder_hidden", []), 784]),
            enc_act=args.get("encoder_activation", "?"), dec_act=args.get("decoder_activation", "?"),
            epochs=train.get("epochs", "?"), train_size=f"{card.get('data', {}).get('train_size', 0):,}",
            trained_on=card.get("device", "?"), seconds=f"{card.get('train_wall_seconds', 0):.0f}",
            n=holdout_card.get("n_images", "?"),
            neg_elbo=num(holdout_card.get("neg_elbo", {}).get("mean", float("nan")), 2),
            neg_elbo_se=num(holdout_card.get("neg_elbo", {}).get("se", float("nan")), 2),
            neg_grid=num(holdout_card.get("neg_log_px_grid", {}).get("mean", float("nan")), 2),
            neg_is=num(is_gaps.get("5000", {}).get("mean", float("nan")), 2),
            is_gap=num(is_gaps.get("5000", {}).get("gap_to_grid", float("nan")), 2),
            sd_median=num(holdout_card.get("grid_check", {}).get("posterior_sd_median", float("nan")), 3),
            kl=num(holdout_card.get("kl", float("nan")), 2),
        ))
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
    page_footer("latent", latent.decode_means, latent.manifold, latent.digit_posterior, latent.elbo_estimate,
                latent.importance_estimate)


main()
