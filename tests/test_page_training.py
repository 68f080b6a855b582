"""The /training page through AppTest: the timeline's numbers follow epoch= (snapped to a
snapshot; garbage gives a warning), and a tiny live training shows its progress and numbers."""

import json

import plotly.graph_objects as go
import pytest

from tests.apptest import assert_clean, metric_value, open_page, rendered
from ui import training_data
from ui.i18n import catalogue
from ui.training_queue import FINISHED, PAUSED, training_queue
from vae_core.timeline import load_timeline

PAGE = "views/training.py"
ARRAYS = load_timeline()[0]
EPOCHS = ARRAYS["epochs"].tolist()
TINY = {"subset": 100, "max_epochs": 2, "manifold_n": 3, "eval_samples": 1}


def holdout_at(epoch: int) -> dict:
    i = EPOCHS.index(epoch)
    return {key: float(ARRAYS[f"holdout_{key}"][i]) for key in ("elbo", "recon", "kl")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_is_the_finished_run(lang):
    at = rendered(PAGE, lang)
    assert_clean(at)
    assert at.query_params["epoch"] == "300"
    expected = holdout_at(300)
    assert metric_value(at, "ELBO") == pytest.approx(expected["elbo"], abs=5e-5)
    assert metric_value(at, catalogue(lang)["common.recon_metric"]) == pytest.approx(expected["recon"], abs=5e-5)
    assert metric_value(at, "KL(q‖p(z))") == pytest.approx(expected["kl"], abs=5e-5)


@pytest.mark.parametrize(
    ("raw", "epoch", "warns"),
    [("17", 17, False), ("0", 0, False), ("50", 52, True), ("1e308", 300, True), ("-3", 0, True), ("abc", 300, True)],
)
def test_epoch_url_round_trip(raw, epoch, warns):
    at = open_page(PAGE, "en", epoch=raw)
    assert_clean(at)
    assert at.query_params["epoch"] == str(epoch)
    assert bool(at.warning) == warns
    assert metric_value(at, "ELBO") == pytest.approx(holdout_at(epoch)["elbo"], abs=5e-5)


def test_browser_release_sets_the_epoch():
    """What the live view reports on release goes through the URL parser: snapped, never trusted."""
    at = open_page(PAGE, "en")
    at.session_state["training_live"] = {"release": {"epoch": 40}}
    param = training_data.EpochParam("epoch", 300, tuple(EPOCHS))
    assert param.parse("40") == (42, "common.url_rounded")
    assert param.parse("<script>")[0] == 300


def test_live_settings_in_the_url():
    at = open_page(PAGE, "en", beta="4", lr="0.003", seed="7")
    assert_clean(at)
    assert at.slider(key="training_beta").value == 4.0
    assert at.select_slider(key="training_lr").value == 0.003
    assert at.number_input(key="training_seed").value == 7


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(training_data, "LIVE_OVERRIDES", TINY)
    yield training_queue()


def idle(queue) -> bool:
    status = queue.status()
    return status["running"] is None and status["waiting"] == 0


def test_live_training_shows_progress_and_numbers(tiny):
    at = open_page(PAGE, "en", beta="0.5")
    at.button(key="training_start").click().run()
    assert_clean(at)
    assert tiny.wait_until(lambda: idle(tiny), timeout=240)
    at.run()
    assert_clean(at)
    job = next(j for j in tiny._jobs.values() if j.config.beta == 0.5)
    assert job.state == FINISHED and job.epoch == 2 and job.reason == "cap"
    progress = at.get("progress")
    assert progress and "Epoch 2 of 2" in progress[0].proto.text
    elbos = [float(m.value.replace("−", "-")) for m in at.metric if m.label == "ELBO"]
    assert len(elbos) == 2  # the timeline's and the live model's
    assert elbos[1] == pytest.approx(job.latest.snapshot.holdout["elbo"], abs=5e-5)
    kl = [m for m in at.metric if m.label == "KL(q‖p(z))"][1]
    assert float(kl.value) == pytest.approx(job.latest.snapshot.holdout["kl"], abs=5e-5)
    assert any(f"`{job.latest.device}`" in c.value for c in at.caption)  # what it runs on
    assert len(at.get("plotly_chart")) == 3 and at.get("image")  # map, curves, KL bars; the manifold
    for chart in at.get("plotly_chart"):  # built without validation (ui.plots.figure): validate here
        go.Figure(json.loads(chart.proto.spec))


def test_one_epoch_button_steps_then_pauses(tiny):
    at = open_page(PAGE, "zh", seed="3")
    at.button(key="training_step").click().run()
    assert_clean(at)
    job = next(j for j in tiny._jobs.values() if j.config.seed == 3)
    # the first click shows the random initialization (epoch 0), each further click trains one epoch
    assert tiny.wait_until(lambda: job.state == PAUSED and job.epoch == 0, timeout=240)
    at.run()
    at.button(key="training_step").click().run()
    assert tiny.wait_until(lambda: job.state == PAUSED and job.epoch == 1, timeout=240)
    at.run()
    assert_clean(at)
    assert "第 1 轮" in at.get("progress")[0].proto.text
    at.button(key="training_cancel").click().run()
    assert tiny.wait_until(lambda: job.ended, timeout=60)


def test_second_tab_sees_its_place_in_line(tiny):
    """Another tab (AppTest runs every instance as one session, so the other tab is a direct
    submit) holds the slot, paused at epoch 0: this tab's training waits, and says where it is."""
    from vae_core.live_training import LiveConfig

    other = tiny.submit("another tab", LiveConfig(seed=11, **TINY), paused=True)
    other.step()
    assert tiny.wait_until(lambda: other.state == PAUSED and other.epoch == 0, timeout=240)
    at = open_page(PAGE, "zh", seed="12")
    at.button(key="training_start").click().run()
    assert_clean(at)
    assert any("第 **2** 位" in info.value for info in at.info), [i.value for i in at.info]
    mine = next(j for j in tiny._jobs.values() if j.config.seed == 12)
    assert mine.state == "queued"
    at.button(key="training_cancel").click().run()
    other.cancel()
    assert tiny.wait_until(lambda: other.ended and mine.ended, timeout=60)
