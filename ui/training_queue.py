"""The classroom guard for live training: one training at a time per server process.

A page asks :func:`training_queue` (one :class:`TrainingQueue` per process, shared by every
session through ``st.cache_resource``) to :meth:`TrainingQueue.submit` a
``vae_core.live_training.LiveConfig`` for its session. One worker thread runs the jobs in
arrival order; everybody else sees their place (:meth:`TrainingQueue.position`: 0 = running,
1 = next, …) and can watch the timeline meanwhile. A job ends when

- it reaches the epoch cap (``max_epochs``, 30: ``reason = "cap"``),
- its session is gone — the browser tab closed (``"session_closed"``: the Streamlit runtime no
  longer lists the session as active for ``grace_s`` seconds, so a brief reconnect survives),
- the learner stops it (:meth:`TrainingJob.cancel`, ``"cancelled"``), or
- it stays paused for ``pause_limit_s`` while others wait (``"paused_too_long"``).

The page polls the job (e.g. ``st.fragment(run_every=…)``): ``job.version`` grows with every
change, ``job.latest`` is the newest ``EpochReport``, ``job.curves`` the per-epoch numbers.
Training itself runs on one torch thread (``vae_core.live_training``), so a slider elsewhere in
the app keeps the other core. Tests drive everything with threads and events: a fake trainer,
a fake liveness check, a fake clock, and :meth:`TrainingQueue.wait_until` instead of sleeps.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

MAX_EPOCHS = 30  # the classroom cap (vae_core.live_training.MAX_EPOCHS)
GRACE_S = 5.0  # a session must stay inactive this long before its training is stopped
CHECK_INTERVAL_S = 1.0  # how often a paused job re-checks its session while it waits
PAUSE_LIMIT_S = 120.0  # a paused job gives up the slot after this long if someone is waiting

QUEUED, RUNNING, PAUSED, FINISHED, CANCELLED, FAILED = "queued", "running", "paused", "finished", "cancelled", "failed"
ENDED = (FINISHED, CANCELLED, FAILED)


@dataclass
class TrainingJob:
    """One session's live training; read it from any thread, change it only through its methods.

    ``state``: queued / running / paused / finished / cancelled / failed; ``reason`` why it ended
    ("cap", "done", "cancelled", "session_closed", "paused_too_long", "error: …"); ``epoch`` of the
    latest report (−1 before the first); ``latest`` the newest ``EpochReport``; ``curves`` one dict
    per report (epoch, train/holdout ELBO, recon, KL, KL per dimension, seconds); ``version``
    increases with every change, so a poller redraws only when it moved.
    """

    session_id: str
    config: Any
    max_epochs: int
    state: str = QUEUED
    reason: str | None = None
    epoch: int = -1
    latest: Any = None
    curves: list[dict] = field(default_factory=list)
    version: int = 0
    _queue: TrainingQueue | None = field(default=None, repr=False)
    _paused: bool = False
    _step: bool = False
    _cancel: bool = False
    _paused_at: float | None = None
    _inactive_since: float | None = None

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    def pause(self) -> None:
        """Stop after the current epoch; the job keeps its slot (see ``pause_limit_s``)."""
        self._control(paused=True, step=False)

    def resume(self) -> None:
        self._control(paused=False, step=False)

    def step(self) -> None:
        """Run exactly one more epoch, then pause."""
        self._control(paused=False, step=True)

    def cancel(self) -> None:
        """End the job (queued: leave the queue; running: stop after the current epoch)."""
        if self._queue is not None:
            self._queue.cancel(self.session_id)

    def _control(self, paused: bool, step: bool) -> None:
        queue = self._queue
        if queue is None:
            return
        with queue._cond:
            if self.ended:
                return
            self._paused, self._step = paused, step
            self._paused_at = queue._clock() if paused else None
            if self.state in (RUNNING, PAUSED):
                self.state = PAUSED if paused else RUNNING
            queue._changed(self)


def streamlit_session_alive(session_id: str) -> bool:
    """True while the Streamlit runtime lists the session as active (its browser tab is connected).

    ``Runtime.is_active_session`` is documented thread-safe. Without a runtime (AppTest, bare
    Python) nothing can close a tab, so every session counts as alive.
    """
    from streamlit import runtime

    if not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session_id)


class TrainingQueue:
    """One live training at a time, in arrival order (first come, first served).

    Args:
        trainer: ``trainer(config) -> iterator of reports`` with ``.epoch`` (0 first), e.g.
            ``vae_core.live_training.live_training``; iterated in the worker thread.
        is_alive: ``is_alive(session_id) -> bool``; default :func:`streamlit_session_alive`.
        max_epochs: the cap; a job's ``config.max_epochs`` (if it has one) is lowered to it.
        grace_s, check_interval_s, pause_limit_s: see the module docstring.
        clock: monotonic seconds (tests pass a fake one).
        summarize: ``summarize(report) -> dict`` appended to ``job.curves``.
    """

    def __init__(
        self,
        trainer: Callable[[Any], Iterator[Any]],
        is_alive: Callable[[str], bool] = streamlit_session_alive,
        max_epochs: int = MAX_EPOCHS,
        grace_s: float = GRACE_S,
        check_interval_s: float = CHECK_INTERVAL_S,
        pause_limit_s: float = PAUSE_LIMIT_S,
        clock: Callable[[], float] = time.monotonic,
        summarize: Callable[[Any], dict] | None = None,
    ) -> None:
        self._trainer, self._is_alive, self.max_epochs = trainer, is_alive, max_epochs
        self.grace_s, self.check_interval_s, self.pause_limit_s = grace_s, check_interval_s, pause_limit_s
        self._clock = clock
        self._summarize = summarize or curve_point
        self._cond = threading.Condition()
        self._waiting: deque[TrainingJob] = deque()
        self._running: TrainingJob | None = None
        self._jobs: dict[str, TrainingJob] = {}
        self._worker: threading.Thread | None = None
        self._closed = False

    # --- what a page calls ------------------------------------------------------------------------
    def submit(self, session_id: str, config: Any, paused: bool = False) -> TrainingJob:
        """Queue a new training for ``session_id`` (ending that session's previous one, if any).
        ``paused``: start in pause (the first ``step``/``resume`` runs it)."""
        if hasattr(config, "max_epochs") and config.max_epochs > self.max_epochs:
            config = replace(config, max_epochs=self.max_epochs)
        cap = min(self.max_epochs, getattr(config, "max_epochs", self.max_epochs))
        with self._cond:
            if self._closed:
                raise RuntimeError("the training queue is shut down")
            old = self._jobs.get(session_id)
            if old is not None and not old.ended:
                self._cancel_locked(old, "cancelled")
            self._forget_closed_sessions()
            job = TrainingJob(
                session_id, config, cap, _queue=self, _paused=paused, _paused_at=self._clock() if paused else None
            )
            self._jobs[session_id] = job
            self._waiting.append(job)
            self._ensure_worker()
            self._changed(job)
            return job

    def job(self, session_id: str) -> TrainingJob | None:
        """The session's latest job (running, waiting or ended), if any."""
        with self._cond:
            return self._jobs.get(session_id)

    def position(self, session_id: str) -> int | None:
        """0 if the session's job is running (or paused in the slot), k ≥ 1 if k − 1 jobs wait before
        it, None if it has no job in the queue."""
        with self._cond:
            job = self._jobs.get(session_id)
            if job is None or job.ended:
                return None
            if job is self._running:
                return 0
            # behind the running job (possibly this session's own previous one, still finishing its epoch)
            return 1 + next(place for place, waiting in enumerate(self._waiting) if waiting is job)

    def status(self) -> dict:
        """{"running": session id or None, "waiting": number of queued jobs}."""
        with self._cond:
            return {"running": self._running.session_id if self._running else None, "waiting": len(self._waiting)}

    def cancel(self, session_id: str, reason: str = "cancelled") -> None:
        with self._cond:
            job = self._jobs.get(session_id)
            if job is not None and not job.ended:
                self._cancel_locked(job, reason)

    def wake(self) -> None:
        """Make the worker re-check sessions, pauses and the clock now (tests; a closed tab)."""
        with self._cond:
            self._cond.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` is true (re-evaluated at every change) or ``timeout`` passes."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything and stop the worker thread."""
        with self._cond:
            self._closed = True
            for job in [*self._waiting, *([self._running] if self._running else [])]:
                self._cancel_locked(job, "cancelled")
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    # --- the worker -------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="live-training", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting or self._closed)
                if not self._waiting:
                    return
                job = self._waiting.popleft()
                self._running = job
                job.state = PAUSED if job._paused else RUNNING
                self._changed(job)
            try:
                self._run(job)
            except Exception as err:  # a broken run must not take the queue down with it
                with self._cond:
                    self._end(job, FAILED, f"error: {type(err).__name__}: {err}")
            finally:
                with self._cond:
                    self._running = None
                    self._cond.notify_all()

    def _run(self, job: TrainingJob) -> None:
        reports = self._trainer(job.config)
        try:
            while True:
                with self._cond:
                    reason = self._wait_to_go(job)
                    if reason is not None:
                        self._end(job, CANCELLED, reason)
                        return
                report = next(reports, None)  # one epoch; outside the lock, so pages keep reading
                with self._cond:
                    if report is None:
                        self._end(job, FINISHED, "done")
                        return
                    job.latest, job.epoch = report, report.epoch
                    job.curves.append(self._summarize(report))
                    if job._step:
                        job._paused, job._step, job._paused_at = True, False, self._clock()
                        job.state = PAUSED
                    self._changed(job)
                    if report.epoch >= job.max_epochs:
                        self._end(job, FINISHED, "cap")
                        return
        finally:
            close = getattr(reports, "close", None)
            if close is not None:
                close()

    def _wait_to_go(self, job: TrainingJob) -> str | None:
        """(lock held) Wait while the job is paused; the reason to end it, or None to run an epoch."""
        while True:
            if job._cancel:
                return job.reason or "cancelled"
            if not self._session_alive(job):
                return "session_closed"
            if not job._paused or job.epoch < 0:  # the initialization is shown even when starting paused
                return None
            if self._waiting and job._paused_at is not None and self._clock() - job._paused_at >= self.pause_limit_s:
                return "paused_too_long"
            self._cond.wait(self.check_interval_s)

    def _session_alive(self, job: TrainingJob) -> bool:
        """(lock held) False once the session has been inactive for ``grace_s``."""
        if self._is_alive(job.session_id):
            if job._inactive_since is not None:
                job._inactive_since = None
                self._cond.notify_all()
            return True
        now = self._clock()
        if job._inactive_since is None:
            job._inactive_since = now
            self._cond.notify_all()
        return now - job._inactive_since < self.grace_s

    # --- bookkeeping (lock held) ------------------------------------------------------------------
    def _changed(self, job: TrainingJob) -> None:
        job.version += 1
        self._cond.notify_all()

    def _end(self, job: TrainingJob, state: str, reason: str) -> None:
        job.state, job.reason, job._cancel = state, reason, True
        self._changed(job)

    def _cancel_locked(self, job: TrainingJob, reason: str) -> None:
        if job in self._waiting:
            self._waiting.remove(job)
            self._end(job, CANCELLED, reason)
        else:  # running: the worker ends it before the next epoch
            job._cancel, job.reason = True, reason
            self._changed(job)

    def _forget_closed_sessions(self) -> None:
        """Drop ended jobs of sessions that are gone, so the registry does not grow with every visitor."""
        for session_id, job in list(self._jobs.items()):
            if job.ended and not self._is_alive(session_id):
                del self._jobs[session_id]


def curve_point(report: Any) -> dict:
    """One row of ``job.curves`` from a ``vae_core.live_training.EpochReport`` (nats per digit)."""
    snap = report.snapshot
    row = {"epoch": report.epoch, "objective": report.objective, "seconds": report.seconds}
    for split in ("train", "holdout"):
        for key in ("elbo", "recon", "kl"):
            row[f"{split}_{key}"] = getattr(snap, split)[key]
    row["kl_per_dim"] = [float(v) for v in snap.kl_per_dim]
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in row.items()}


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    """The server process's one queue (``st.cache_resource``: shared by every session), running
    ``vae_core.live_training.live_training`` (torch is imported on the first call, not before)."""
    from vae_core.live_training import live_training

    return TrainingQueue(live_training)


def current_session_id() -> str:
    """The id of the browser session running this script (the queue's key for it)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        raise RuntimeError("current_session_id() must be called from a Streamlit script run")
    return ctx.session_id
