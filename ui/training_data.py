"""Helpers of the /training page (views/training.py): its URL parameters (:data:`STATE`, also used by
the lesson), the timeline's numbers, the epoch's URL parameter (snapped to a snapshot), and the live
training's queue, controls and status."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.state import ChoiceParam, FloatParam, IntParam, UrlState, finite_number
from ui.training_queue import ENDED, PAUSED, QUEUED, RUNNING, current_session_id, training_queue
from vae_core.timeline_data import load_timeline

POLL_S = 1.0  # how often the live panel looks at its job while the job is queued or running
LR_OPTIONS = (0.0001, 0.0003, 0.001, 0.003, 0.01)  # vae_core.live_training.LR_MIN … LR_MAX
LIVE_OVERRIDES: dict = {}  # extra LiveConfig fields (tests shrink the run: subset, max_epochs, …)
FIGURE_CACHE = "training_live_figures"  # (job id, epoch, curve rows, lang) → the live panel's figures


@st.cache_resource(show_spinner=False)
def timeline() -> dict[str, np.ndarray]:
    """The arrays of assets/training/timeline.npz (read once per process, checked against its sha256)."""
    return load_timeline()[0]


def snapshot_epochs() -> tuple[int, ...]:
    return tuple(int(e) for e in timeline()["epochs"])


def numbers_at(epoch: int) -> dict[str, dict[str, float]]:
    """{"holdout"|"train": {"elbo", "recon", "kl"}} at a snapshot epoch, nats per digit."""
    arrays, index = timeline(), snapshot_epochs().index(epoch)
    return {
        split: {key: float(arrays[f"{split}_{key}"][index]) for key in ("elbo", "recon", "kl")}
        for split in ("holdout", "train")
    }


@dataclass(frozen=True)
class EpochParam:
    """An epoch of the timeline in the URL: any number is accepted and snapped to the nearest
    snapshot (``epoch=50`` → 52), with a warning when it moved; garbage gives the default."""

    name: str
    default: int
    epochs: tuple[int, ...]

    @property
    def lo(self) -> int:
        return self.epochs[0]

    @property
    def hi(self) -> int:
        return self.epochs[-1]

    def snap(self, value: float) -> int:
        value = min(max(value, self.lo), self.hi)  # clamp first: 1e308 − 300 == 1e308 in floats
        return min(self.epochs, key=lambda e: (abs(e - value), e))

    def parse(self, raw: str) -> tuple[int, str | None]:
        value = finite_number(raw)
        if value is None:
            return self.default, "common.url_not_number"
        snapped = self.snap(value)
        if value < self.lo or value > self.hi:
            return snapped, "common.url_clamped"
        return snapped, (None if snapped == value else "common.url_rounded")

    def fmt(self, value: int) -> str:
        return str(int(value))


@functools.cache
def _url_state() -> UrlState:
    epochs = snapshot_epochs()
    return UrlState(
        "training",
        EpochParam("epoch", epochs[-1], epochs),
        FloatParam("beta", 1.0, 0.0, 4.0, 0.01),
        ChoiceParam("lr", 0.01, LR_OPTIONS),
        IntParam("seed", 0, 0, 2**31 - 1),
    )


def __getattr__(name: str):
    """``STATE``, the page's URL parameters, is built on first use: its epochs are the shipped
    timeline's, which importing this module should not read."""
    if name == "STATE":
        return _url_state()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- live training ----------------------------------------------------------------------------------
def session_id() -> str:
    return current_session_id()


def current_job():
    return training_queue().job(session_id())


def is_active(job) -> bool:
    """Queued or running: the page polls. Paused or ended: it waits for a button."""
    return job is not None and job.state in (QUEUED, RUNNING)


def start(beta: float, lr: float, seed: int, paused: bool = False):
    """Queue a fresh training for this session (ending its previous one)."""
    from vae_core.live_training import LiveConfig

    config = LiveConfig(beta=beta, lr=lr, seed=seed, **LIVE_OVERRIDES)
    return training_queue().submit(session_id(), config, paused=paused)


def step(beta: float, lr: float, seed: int) -> None:
    """One more epoch; without a live job, a new one that shows its initialization (epoch 0) and pauses."""
    job = current_job()
    if job is None or job.ended:
        job = start(beta, lr, seed, paused=True)
    job.step()


def pause_or_resume() -> None:
    job = current_job()
    if job is not None and not job.ended:
        job.resume() if job.state == PAUSED else job.pause()


def cancel() -> None:
    job = current_job()
    if job is not None:
        job.cancel()


def queue_place(job) -> int | None:
    """1 while this session's job runs, k + 1 when k jobs are ahead of it (the running one counts)."""
    if job is None or job.state in ENDED:
        return None
    position = training_queue().position(session_id())
    return None if position is None else position + 1


def live_figures(job, report, lang: str, build) -> dict:
    """The live panel's figures for ``report`` (the job's latest epoch), rebuilt only when the job
    moved to another epoch (or the language changed)."""
    curves = list(job.curves)
    curves = [row for row in curves if row["epoch"] <= report.epoch]
    key = (id(job), report.epoch, len(curves), lang)
    cached = st.session_state.get(FIGURE_CACHE)
    if cached is None or cached[0] != key:
        cached = (key, build(report, curves))
        st.session_state[FIGURE_CACHE] = cached
    return cached[1]
