"""The /training page's timeline in Chromium: a drag of the epoch scrubber redraws the map many
times with nothing sent to the server until release, the release sets epoch= and the numbers,
and the arrays the browser draws from equal assets/training/timeline.npz."""

import re

import numpy as np
import pytest

from harness.browser import wait_settled
from harness.live import SentFrames, drag_range, sweep
from tests.browser.conftest import DESKTOP
from vae_core.timeline import load_timeline

pytestmark = pytest.mark.browser
READY = (
    "() => { const s = (window.__liveStats || {}).timeline;"
    " return !!s && [...s.signatures].some((x) => x !== 'loading'); }"
)
SIGNATURES = "() => [...window.__liveStats.timeline.signatures].filter((x) => x !== 'loading').length"


def open_training(page, app_url, query="lang=en"):
    page.goto(f"{app_url}/training?{query}")
    wait_settled(page)
    page.wait_for_function(READY, timeout=60_000)


@pytest.fixture(scope="module")
def default_page(contexts, app_url):
    """/training at its defaults, loaded once: the arrays check reads it, then the scrub test moves it."""
    page = contexts.page(**DESKTOP)
    sent = SentFrames(page)
    open_training(page, app_url)
    page.sent = sent
    yield page
    page.close()


def test_browser_arrays_equal_the_npz(default_page):
    page = default_page
    arrays = load_timeline()[0]
    for s in (0, 7, 24):
        got = page.evaluate(
            """async (s) => { const m = await import(new URL('app/static/live/timeline.js', location.href).href);
                              return m.snapshotArrays(s); }""",
            s,
        )
        assert got["epoch"] == int(arrays["epochs"][s])
        np.testing.assert_array_equal(
            np.array(got["mu"], dtype=np.float32).reshape(-1, 2), arrays["mu"][s].astype(np.float32)
        )
        np.testing.assert_array_equal(np.array(got["manifold"], dtype=np.uint8), arrays["manifold"][s].ravel())


def test_scrub_redraws_live_and_reruns_once_on_release(default_page):
    page, sent = default_page, default_page.sent
    mark = sent.mark()
    frames_before = page.evaluate("() => window.__liveStats.timeline.frames")
    readout = page.locator(".live-readout-value").first
    seen = drag_range(page, 'input[data-name="epoch"]', readout.inner_text, sweep(30))
    assert len(set(seen)) >= 10, seen  # the map, the manifold and the cursor move with the epoch…
    assert page.evaluate(SIGNATURES) >= 10
    assert page.evaluate("() => window.__liveStats.timeline.frames") - frames_before >= 10
    assert sent.since(mark) == 0  # …without a single message to the server
    page.mouse.up()
    page.wait_for_url(re.compile(r"epoch=22(&|$)"))  # the sweep ends mid-track: snapshot 12 = epoch 22
    wait_settled(page)
    assert sent.since(mark) == 1  # one rerun for the whole gesture (no later stray one: test_live_kl.py)
    arrays = load_timeline()[0]
    i = arrays["epochs"].tolist().index(22)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    live = page.locator(".live-readout-value").all_inner_texts()
    assert [float(m.replace("−", "-")) for m in metrics[:3]] == pytest.approx(
        [arrays["holdout_elbo"][i], arrays["holdout_recon"][i], arrays["holdout_kl"][i]], abs=5e-5
    )
    assert [v.replace("−", "-") for v in live] == metrics[:3]
    assert not page.js_errors


def test_keyboard_moves_the_epoch(page, app_url):
    open_training(page, app_url, "lang=zh&epoch=5")
    slider = page.locator('input[data-name="epoch"]')
    assert slider.get_attribute("aria-label") == "训练轮数（从 0 到 300 共 25 个快照）"
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    page.wait_for_url(re.compile(r"epoch=7(&|$)"))
    wait_settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_play_runs_to_the_end_and_sets_the_url(page, app_url):
    open_training(page, app_url, "lang=en&epoch=0")
    page.locator("button.tl-play").click()
    page.wait_for_url(re.compile(r"epoch=300(&|$)"), timeout=30_000)
    assert page.locator('input[data-name="epoch"]').input_value() == "24"
