"""Live training (vae_core.live_training) and its classroom guard (ui.training_queue).

The β objective is checked against vae_core's own evaluation functions; the queue is driven by
threads and events — a fake trainer that runs an epoch only when the test releases it, a fake
session registry and a fake clock — and never by sleeping."""

import math
import threading
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ui import training_queue as tq
from vae_core import evaluate, live_training
from vae_core.data import load_holdout_binary
from vae_core.model import VAEConfig

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

TINY = VAEConfig(encoder_hidden=[32], decoder_hidden=[32])
WAIT = 20.0  # seconds before a wait_until gives up (a failure, never a pacing device)


# --- the β objective ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_batch():
    model = live_training.fresh_model(TINY, seed=3, device=torch.device("cpu")).eval()
    return model, torch.as_tensor(load_holdout_binary()[::25]).float()  # (20, 784)


def _forward(model, x, seed):
    with torch.no_grad():
        return model(x, generator=torch.Generator().manual_seed(seed))


def test_beta_zero_objective_is_the_reconstruction_term(small_batch):
    model, x = small_batch
    out = _forward(model, x, seed=7)
    terms = evaluate.elbo_terms(model, x, n_samples=1, generator=torch.Generator().manual_seed(7))
    objective = live_training.beta_objective(out, 0.0)
    assert torch.allclose(objective, terms.recon, rtol=0, atol=1e-4)
    assert torch.allclose(objective, evaluate.bernoulli_log_likelihood(x, out.logits[0]), rtol=0, atol=1e-4)


def test_beta_one_objective_is_the_elbo_of_eq_1_4_12(small_batch):
    model, x = small_batch
    out = _forward(model, x, seed=7)
    terms = evaluate.elbo_terms(model, x, n_samples=1, generator=torch.Generator().manual_seed(7))
    objective = live_training.beta_objective(out, 1.0)
    assert torch.allclose(objective, terms.elbo, rtol=0, atol=1e-4)
    mu, logvar = model.encode(x)
    assert torch.allclose(out.recon - objective, evaluate.kl_to_standard_normal(mu, logvar), atol=1e-4)
    assert (live_training.beta_objective(out, 4.0) <= objective + 1e-6).all()  # KL ≥ 0


def test_fresh_model_uses_its_own_generator_only():
    state = torch.random.get_rng_state()
    a = live_training.fresh_model(TINY, 5, torch.device("cpu"))
    b = live_training.fresh_model(TINY, 5, torch.device("cpu"))
    c = live_training.fresh_model(TINY, 6, torch.device("cpu"))
    assert torch.equal(torch.random.get_rng_state(), state)  # the shared global generator is untouched
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert not torch.equal(a.decoder[0].weight, c.decoder[0].weight)
    bound = 1 / math.sqrt(TINY.x_dim)  # nn.Linear's default scale: U(±1/√fan_in)
    assert a.encoder_body[0].weight.abs().max() <= bound and a.encoder_body[0].weight.abs().max() > 0.9 * bound


def test_live_training_reports_every_epoch_on_one_thread():
    cfg = live_training.LiveConfig(beta=1.0, max_epochs=2, subset=100, manifold_n=3, eval_samples=2, device="cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # not the one thread the tests run on: the restore below is then visible
    try:
        first = list(live_training.live_training(cfg, TINY))
        assert torch.get_num_threads() == 2  # restored when the generator finishes
    finally:
        torch.set_num_threads(threads)
    assert [r.epoch for r in first] == [0, 1, 2]
    assert all(r.threads == 1 and r.device == "CPU" for r in first)
    last = first[-1].snapshot
    assert last.mu.shape == last.sigma.shape == (500, 2) and last.kl_per_dim.shape == (2,)
    assert last.manifold.shape == (3, 3, 784) and last.manifold.dtype == np.uint8
    for split in (last.holdout, last.train):
        assert split["elbo"] == pytest.approx(split["recon"] - split["kl"])
    assert math.isnan(first[0].objective) and math.isfinite(first[-1].objective)
    second = list(live_training.live_training(cfg, TINY))  # seeded: the same run again
    assert np.array_equal(second[-1].snapshot.mu, last.mu)


def test_live_training_never_touches_the_pretrained_model(model):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = live_training.LiveConfig(max_epochs=1, subset=50, manifold_n=2, eval_samples=1, device="cpu")
    list(live_training.live_training(cfg, TINY))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize(
    "bad",
    [{"beta": -0.1}, {"beta": 4.5}, {"beta": math.nan}, {"lr": 0.0}, {"lr": 1.0}, {"seed": -1}, {"batch_size": 0}],
)
def test_live_config_rejects_values_out_of_range(bad):
    with pytest.raises(ValueError):
        live_training.LiveConfig(**bad)


def test_behaviour_measures():
    labels = np.repeat(np.arange(2), 50)
    apart = np.where(labels[:, None] == 0, -3.0, 3.0) + np.random.default_rng(0).normal(0, 0.1, (100, 2))
    together = np.random.default_rng(1).normal(0, 1, (100, 2))
    assert live_training.class_separation(apart, labels) > 100 > 0.1 > live_training.class_separation(together, labels)
    assert live_training.manifold_variation(np.full((3, 3, 784), 17, dtype=np.uint8)) == 0.0


# --- the queue ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FakeConfig:
    name: str
    max_epochs: int = 3


class FakeTrainer:
    """trainer(config) yields epoch e only after the test calls release(name): one permit per epoch."""

    def __init__(self, fail: str | None = None) -> None:
        self.permits: dict[str, threading.Semaphore] = {}
        self.closed: set[str] = set()
        self.configs: dict[str, FakeConfig] = {}
        self.fail = fail

    def _permit(self, name: str) -> threading.Semaphore:
        return self.permits.setdefault(name, threading.Semaphore(0))

    def release(self, name: str, epochs: int = 1) -> None:
        self._permit(name).release(epochs)

    def __call__(self, config: FakeConfig):
        self.configs[config.name] = config
        try:
            for epoch in range(1000):  # ignores max_epochs: the queue enforces the cap
                if not self._permit(config.name).acquire(timeout=WAIT):
                    raise TimeoutError(f"{config.name}: no permit for epoch {epoch}")
                if self.fail == config.name:
                    raise RuntimeError("boom")
                yield SimpleNamespace(epoch=epoch)
        finally:
            self.closed.add(config.name)


class Sessions:
    def __init__(self, *alive: str) -> None:
        self.alive = set(alive)

    def __call__(self, session_id: str) -> bool:
        return session_id in self.alive


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rig():
    trainer, sessions, clock = FakeTrainer(), Sessions("a", "b", "c"), Clock()
    queue = tq.TrainingQueue(
        trainer,
        is_alive=sessions,
        max_epochs=3,
        grace_s=0.0,
        check_interval_s=0.05,
        pause_limit_s=60.0,
        clock=clock,
        summarize=lambda r: {"epoch": r.epoch},
    )
    yield SimpleNamespace(queue=queue, trainer=trainer, sessions=sessions, clock=clock)
    for name in trainer.permits:
        trainer.release(name, 1000)
    queue.shutdown()


def _wait(queue, predicate):
    assert queue.wait_until(predicate, WAIT), "timed out"


def test_one_training_at_a_time_first_come_first_served(rig):
    q, trainer = rig.queue, rig.trainer
    jobs = {s: q.submit(s, FakeConfig(s)) for s in "abc"}
    _wait(q, lambda: jobs["a"].state == tq.RUNNING)
    assert [q.position(s) for s in "abc"] == [0, 1, 2]
    assert q.status() == {"running": "a", "waiting": 2}
    assert jobs["b"].state == jobs["c"].state == tq.QUEUED
    trainer.release("a", 4)  # epochs 0, 1, 2, 3 = the cap
    _wait(q, lambda: jobs["a"].ended and jobs["b"].state == tq.RUNNING)
    assert jobs["a"].state == tq.FINISHED and jobs["a"].reason == "cap"
    assert [row["epoch"] for row in jobs["a"].curves] == [0, 1, 2, 3]
    assert [q.position(s) for s in "abc"] == [None, 0, 1]
    assert "b" not in trainer.closed and "c" not in trainer.configs  # c has not started


def test_epoch_cap_holds_whatever_the_trainer_or_config_says(rig):
    q, trainer = rig.queue, rig.trainer
    job = q.submit("a", FakeConfig("a", max_epochs=500))
    assert job.max_epochs == 3
    trainer.release("a", 50)
    _wait(q, lambda: job.ended)
    assert job.reason == "cap" and job.epoch == 3 and len(job.curves) == 4
    _wait(q, lambda: "a" in trainer.closed)  # the trainer (and its model) is closed, not left running
    assert trainer.configs["a"].max_epochs == 3


def test_training_stops_when_its_session_is_gone(rig):
    q, trainer, sessions = rig.queue, rig.trainer, rig.sessions
    job, other = q.submit("a", FakeConfig("a", max_epochs=30)), q.submit("b", FakeConfig("b"))
    trainer.release("a")
    _wait(q, lambda: job.epoch == 0)
    sessions.alive.discard("a")  # the tab closes
    trainer.release("a")  # at most the epoch already under way finishes
    _wait(q, lambda: job.ended)
    assert job.state == tq.CANCELLED and job.reason == "session_closed" and job.epoch <= 1
    _wait(q, lambda: other.state == tq.RUNNING and "a" in trainer.closed)


def test_a_paused_training_stops_when_its_session_is_gone_after_the_grace_period(rig):
    q, trainer, sessions, clock = rig.queue, rig.trainer, rig.sessions, rig.clock
    q.grace_s = 5.0
    job = q.submit("a", FakeConfig("a"), paused=True)
    trainer.release("a")  # the initialization is shown even when starting paused
    _wait(q, lambda: job.epoch == 0 and job.state == tq.PAUSED)
    sessions.alive.discard("a")
    q.wake()
    _wait(q, lambda: job._inactive_since is not None)  # noticed, within the grace period
    assert not job.ended
    clock.now = 5.0
    q.wake()
    _wait(q, lambda: job.ended)
    assert job.reason == "session_closed"


def test_a_brief_disconnect_within_the_grace_period_is_forgiven(rig):
    q, trainer, sessions, clock = rig.queue, rig.trainer, rig.sessions, rig.clock
    q.grace_s = 5.0
    job = q.submit("a", FakeConfig("a"), paused=True)
    trainer.release("a")
    _wait(q, lambda: job.state == tq.PAUSED and job.epoch == 0)
    sessions.alive.discard("a")
    q.wake()
    _wait(q, lambda: job._inactive_since is not None)
    sessions.alive.add("a")  # reconnected
    q.wake()
    _wait(q, lambda: job._inactive_since is None)
    clock.now = 100.0
    job.step()
    trainer.release("a")
    _wait(q, lambda: job.epoch == 1 and job.state == tq.PAUSED)
    assert not job.ended


def test_pause_step_resume_and_cancel(rig):
    q, trainer = rig.queue, rig.trainer
    job = q.submit("a", FakeConfig("a", max_epochs=30), paused=True)
    trainer.release("a", 10)
    _wait(q, lambda: job.epoch == 0 and job.state == tq.PAUSED)
    version = job.version
    job.step()
    _wait(q, lambda: job.epoch == 1 and job.state == tq.PAUSED)
    assert job.version > version
    job.resume()
    _wait(q, lambda: job.epoch == 3 and job.ended)  # the cap
    waiting = q.submit("b", FakeConfig("b"))
    blocker = q.submit("c", FakeConfig("c"))
    _wait(q, lambda: waiting.state == tq.RUNNING)
    blocker.cancel()  # leaves the queue before it ever starts
    assert blocker.state == tq.CANCELLED and q.position("c") is None and "c" not in trainer.configs
    trainer.release("b")
    _wait(q, lambda: waiting.epoch == 0)
    waiting.cancel()  # running: the epoch under way (if any) finishes, no other starts
    trainer.release("b")
    _wait(q, lambda: waiting.ended)
    assert waiting.reason == "cancelled" and waiting.epoch <= 1 and waiting.state == tq.CANCELLED


def test_a_long_pause_gives_the_slot_to_the_next_in_line(rig):
    q, trainer, clock = rig.queue, rig.trainer, rig.clock
    job = q.submit("a", FakeConfig("a"), paused=True)
    trainer.release("a")
    _wait(q, lambda: job.state == tq.PAUSED and job.epoch == 0)
    clock.now = 1000.0  # paused "for long", but the limit only applies once somebody waits
    nxt = q.submit("b", FakeConfig("b"))
    _wait(q, lambda: job.ended and nxt.state == tq.RUNNING)
    assert job.reason == "paused_too_long"


def test_a_new_submission_replaces_the_sessions_previous_training(rig):
    q, trainer = rig.queue, rig.trainer
    old = q.submit("a", FakeConfig("a"))
    trainer.release("a")
    _wait(q, lambda: old.epoch == 0)
    new = q.submit("a", FakeConfig("a2"))
    assert q.position("a") == 1  # waits for its own previous training to finish its epoch
    trainer.release("a")  # the epoch under way finishes; no other starts
    _wait(q, lambda: old.ended and new.state == tq.RUNNING)
    assert old.reason == "cancelled" and q.job("a") is new and q.position("a") == 0


def test_a_failing_training_does_not_block_the_queue(rig):
    q, trainer = rig.queue, rig.trainer
    trainer.fail = "a"
    bad, good = q.submit("a", FakeConfig("a")), q.submit("b", FakeConfig("b"))
    trainer.release("a")
    trainer.release("b", 4)
    _wait(q, lambda: bad.ended and good.ended)
    assert bad.state == tq.FAILED and "boom" in bad.reason and good.reason == "cap"


def test_ended_jobs_of_closed_sessions_are_forgotten(rig):
    q, trainer, sessions = rig.queue, rig.trainer, rig.sessions
    job = q.submit("a", FakeConfig("a"))
    trainer.release("a", 4)
    _wait(q, lambda: job.ended)
    sessions.alive.discard("a")
    q.submit("b", FakeConfig("b"))
    assert q.job("a") is None and q.job("b") is not None


def test_without_a_streamlit_runtime_every_session_counts_as_alive():
    assert tq.streamlit_session_alive("no-such-session") is True


def test_the_queue_runs_the_real_live_training_on_one_thread():
    queue = tq.TrainingQueue(live_training.live_training, is_alive=lambda _: True, max_epochs=1)
    try:
        cfg = live_training.LiveConfig(beta=0.5, max_epochs=30, subset=60, manifold_n=2, eval_samples=1, device="cpu")
        job = queue.submit("s", cfg)
        assert job.config.max_epochs == 1
        assert queue.wait_until(lambda: job.ended, 120)
        assert job.state == tq.FINISHED and job.reason == "cap", job.reason
        assert [row["epoch"] for row in job.curves] == [0, 1] and job.latest.threads == 1
        assert job.curves[0]["objective"] is None and job.curves[1]["holdout_kl"] >= 0
    finally:
        queue.shutdown()
