"""Watch it learn: the shipped VAE's training run as a timeline, and a live training with β.

The timeline scrubs in the browser (ui/live/timeline.py → static/live/timeline.js): dragging the
epoch redraws the latent map, the manifold and the curves without a rerun; the release sets
``epoch=`` and the numbers below once. The live training (ui.training_queue, one per server
process) trains a fresh model for this tab with the objective recon − β·KL (β = 1: eq. 1.4.12);
its panel polls the job only while it is queued or running and rebuilds its figures only when the
job moved. Helpers: ui/training_data.py; figures: ui/figures_training.py.
"""

import streamlit as st

from ui import training_data as data
from ui.components import image, intro, metric, num, page_footer
from ui.figures_training import curves_figure, kl_bars_figure, manifold_png, map_figure
from ui.i18n import current_lang, t
from ui.live.timeline import timeline_view
from ui.plots import chart
from ui.training_queue import PAUSED, QUEUED, RUNNING
from vae_core.live_training import beta_objective, live_training
from vae_core.timeline_data import kl_per_dimension

STATE = data.STATE  # the URL parameters, in ui/training_data.py (the lesson uses them too)
KL = "KL(q‖p(z))"  # the latent explorer's label


def terms(numbers: dict) -> None:
    """ELBO, reconstruction and KL of eq. 1.4.12 (nats per digit) as three metrics."""
    left, mid, right = st.columns(3)
    with left:
        metric("ELBO", numbers["elbo"])
    with mid:
        metric(t("common.recon_metric"), numbers["recon"])
    with right:
        metric(KL, numbers["kl"])


# --- the shipped run, as a timeline -------------------------------------------------------------
@st.fragment
def timeline_section():
    """The live scrubber; its release reruns only this fragment (URL and numbers)."""
    epoch = timeline_view(STATE)
    numbers = data.numbers_at(epoch)
    st.markdown(t("training.tl_numbers", epoch=epoch))
    terms(numbers["holdout"])
    train = numbers["train"]
    st.caption(
        t(
            "training.tl_numbers_caption",
            elbo=num(train["elbo"], 2),
            recon=num(train["recon"], 2),
            kl=num(train["kl"], 2),
        )
    )


# --- live training ------------------------------------------------------------------------------
def live_controls() -> tuple[float, float, int]:
    left, mid, right = st.columns([2, 2, 1], gap="medium")
    with left:
        beta = STATE.slider("beta", t("training.beta"), help=t("training.beta_help"))
    with mid:
        lr = STATE.select_slider("lr", t("training.lr"), format_func=lambda v: f"{v:g}")
    with right:
        seed = STATE.number("seed", t("common.seed"))
    return beta, lr, seed


def live_buttons(job, beta: float, lr: float, seed: int) -> None:
    alive = job is not None and not job.ended
    busy = job is not None and job.state in (QUEUED, RUNNING)
    with st.container(horizontal=True):
        st.button(
            t("training.restart" if alive else "training.start"),
            on_click=data.start,
            args=(beta, lr, seed),
            type="primary",
            icon="▶️",
            key="training_start",
        )
        st.button(
            t("training.resume" if job is not None and job.state == PAUSED else "training.pause"),
            on_click=data.pause_or_resume,
            disabled=not alive,
            icon="⏯️",
            key="training_pause",
        )
        st.button(
            t("training.step"), on_click=data.step, args=(beta, lr, seed), disabled=busy, icon="⏭️", key="training_step"
        )
        st.button(t("training.cancel"), on_click=data.cancel, disabled=not alive, icon="⏹️", key="training_cancel")


def reason_text(job) -> str:
    reason = (job.reason or "done").split(":")[0]
    known = ("cap", "done", "cancelled", "session_closed", "paused_too_long", "error")
    return t(f"training.reason_{reason if reason in known else 'error'}", epochs=job.max_epochs)


def status(job, report) -> None:
    """Where the job stands: its place in the queue, the progress bar, what it runs on."""
    place = data.queue_place(job)
    if job.state == QUEUED:
        st.info(t("training.queued", place=place or 1), icon="⏳")
    done = max(report.epoch, 0) if report is not None else 0
    st.progress(
        min(done / max(job.max_epochs, 1), 1.0),
        text=t("training.progress", epoch=done, total=job.max_epochs, state=t(f"training.state_{job.state}")),
    )
    if report is not None:
        st.caption(
            t(
                "training.device",
                device=report.device,
                threads=report.threads,
                seconds=num(report.seconds, 1),
                eval=num(report.eval_seconds, 1),
            )
        )
    if job.ended:
        st.caption(reason_text(job))


def build_figures(report, curves: list[dict]) -> dict:
    snap = report.snapshot
    labels = {
        "elbo": "ELBO",
        "recon": t("training.recon"),
        "kl": "KL",
        "holdout": t("training.holdout"),
        "train": t("training.train"),
        "nats": t("training.nats"),
        "epoch": t("training.epoch_axis"),
    }
    return {
        "map": map_figure(snap.mu.astype(float), data.timeline()["labels"], t("training.live_map", epoch=report.epoch)),
        "manifold": manifold_png(snap.manifold),
        "curves": curves_figure(curves, labels),
        "bars": kl_bars_figure([float(v) for v in snap.kl_per_dim], t("training.kl_bars", epoch=report.epoch)),
    }


def live_panel(polling: bool) -> None:
    """The job's status and pictures. Runs as a fragment that reruns every POLL_S seconds while the
    job is queued or running; once it pauses or ends, one full run stops the polling."""
    job = data.current_job()
    if polling and not data.is_active(job):
        st.rerun()
    if job is None:
        st.info(t("training.no_job"), icon="🎬")
        return
    report = job.latest  # read once: the worker may publish the next epoch while this runs
    status(job, report)
    if report is None:
        return
    figures = data.live_figures(job, report, current_lang(), build_figures)
    terms(report.snapshot.holdout)
    left, right = st.columns([1.15, 1], gap="medium")
    with left:
        chart(figures["map"], key="training_live_map")
    with right:
        image(figures["manifold"], output_format="PNG", caption=t("training.live_manifold", epoch=report.epoch))
    left, right = st.columns([1.7, 1], gap="medium")
    with left:
        chart(figures["curves"], key="training_live_curves")
    with right:
        chart(figures["bars"], key="training_live_bars")
        st.caption(t("training.kl_bars_caption"))


def live_section() -> None:
    st.header(t("training.live_title"), anchor="live")
    st.markdown(t("training.live_intro"))
    st.latex(
        r"\begin{aligned}\mathcal L_\beta(x)&=\mathbb E_{q_\phi(z|x)}\big[\log p_\theta(x|z)\big]\qquad(1.4.12)"
        r"\\&\quad-\beta\,\mathrm{KL}\big(q_\phi(z|x)\,\|\,p(z)\big)\end{aligned}"
    )
    with st.expander(t("training.look_title"), icon="🔎", expanded=True):
        st.markdown(t("training.look_text"))
    st.info(t("training.erratum_match"), icon="📝")
    beta, lr, seed = live_controls()
    job = data.current_job()
    live_buttons(job, beta, lr, seed)
    polling = data.is_active(job)
    st.fragment(live_panel, run_every=data.POLL_S if polling else None)(polling)


st.title(t("training.title"))
intro("training.intro")
STATE.sync()
st.header(t("training.tl_title"), anchor="timeline")
st.markdown(t("training.tl_intro"))
timeline_section()
live_section()
page_footer("training", live_training, beta_objective, kl_per_dimension)
