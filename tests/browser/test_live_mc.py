"""The live Monte Carlo view in Chromium: what it reveals at n is the server's running estimate at n
(bit for bit), play reaches L = 100,000 with 50 runs with no rerun until it ends (its speed:
benchmarks/live_frames.py), a drag of the n scrubber redraws many times with no rerun until release, and
reduced-motion users get the final state at once."""

import json
import re

import numpy as np
import pytest

from harness.browser import wait_settled
from harness.live import SentFrames, drag_range, sweep
from ui.i18n import catalogue
from ui.monte_carlo_data import POINTS
from vae_core.monte_carlo import Toy, convergence

pytestmark = pytest.mark.browser


def shown(page) -> dict:
    """The numbers the live view shows now, at full precision (the canvas' data-state)."""
    return json.loads(page.locator("canvas.live-plot").first.get_attribute("data-state"))


def wait_shown(page, n: int) -> dict:
    """Wait for the frame that shows n, then read it."""
    page.locator(f"canvas.live-plot[data-state*='\"n\":{n},']").first.wait_for(state="attached")
    return shown(page)


def open_mc(page, app_url, **params) -> None:
    query = "&".join(f"{k}={v}" for k, v in {"lang": "en", **params}.items())
    page.goto(f"{app_url}/monte-carlo?{query}")
    wait_settled(page, timeout_ms=180_000)  # 50 runs × 100,000 draws on a busy 2-core machine
    page.locator('input[data-name="n"]').evaluate("e => e.scrollIntoView({block: 'center'})")


def test_reveal_at_n_is_the_servers_running_estimate(page, app_url):
    open_mc(page, app_url, target="exp", L=20000, runs=7, seed=3)
    conv = convergence("exp", 20_000, 7, 3, Toy(), POINTS)
    slider = page.locator('input[data-name="n"]')
    slider.focus()
    slider.press("Home")
    position = 0
    for k in (0, 1, 2, 9, 40, 77, conv.n.size - 1):
        for _ in range(k - position):
            slider.press("ArrowRight")
        position = k
        got = wait_shown(page, int(conv.n[k]))
        assert got["q"] == conv.mean[0, k]  # exactly: the browser shows the server's float64
        assert (got["se"] is None and np.isnan(conv.se[0, k])) or got["se"] == conv.se[0, k]
        rms = np.sqrt(np.mean((conv.mean[:, k] - conv.exact) ** 2))
        assert got["rms"] == pytest.approx(rms, rel=1e-12)
    page.wait_for_url(re.compile(r"[?&]n=20000(&|$)"))
    wait_settled(page)
    # at n = L the live readout and the page's metric agree (today's Q_L)
    assert page.locator(".live-readout-value").nth(1).inner_text().replace("−", "-") == f"{conv.mean[0, -1]:.4f}"
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="run 1, L = 20,000")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == f"{conv.mean[0, -1]:.4f}"


def test_play_reaches_100k_with_50_runs_and_reruns_once_at_its_end(page, app_url):
    """Play animates L from 1 to 100,000 over 50 runs and talks to the server only at its end. How fast
    (≤ 5 s at ≥ 30 frames per second) is measured by benchmarks/live_frames.py, not asserted here."""
    sent = SentFrames(page)
    open_mc(page, app_url, L=100000, runs=50, n=1)
    assert shown(page)["n"] == 1
    mark = sent.mark()
    start = page.evaluate("() => window.__liveStats.mc.frames")
    page.locator(".live-play").click()
    page.locator("canvas.live-plot[data-state*='\"n\":100000,']").wait_for(state="attached", timeout=60_000)
    assert page.evaluate("() => window.__liveStats.mc.frames") - start >= 10  # it animated on its way
    page.wait_for_url(re.compile(r"[?&]n=100000(&|$)"))  # play's end: one rerun writes the URL
    wait_settled(page)
    assert sent.since(mark) >= 1
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


def test_drag_scrubs_live_and_reruns_once_on_release(page, app_url):
    sent = SentFrames(page)
    open_mc(page, app_url, L=10000, runs=20)
    mark = sent.mark()
    readout = page.locator(".live-readout-value").nth(1)
    seen = drag_range(page, 'input[data-name="n"]', readout.inner_text, sweep(30))
    assert len(set(seen)) >= 10, seen
    assert sent.since(mark) == 0
    page.mouse.up()
    n = shown(page)["n"]
    assert 1 < n < 10_000
    page.wait_for_url(re.compile(rf"[?&]n={n}(&|$)"))
    wait_settled(page)
    assert sent.since(mark) >= 1
    conv = convergence("recon", 10_000, 20, 0, Toy(), POINTS)
    k = int(np.searchsorted(conv.n, n))
    assert shown(page)["q"] == conv.mean[0, k]  # the settled page shows the released n's numbers
    assert page.locator('input[data-name="n"]').input_value() == str(k)


def test_reduced_motion_gets_the_final_state_and_zh_labels(page, app_url):
    page.emulate_media(reduced_motion="reduce")
    open_mc(page, app_url, lang="zh", L=1000, runs=5, n=10)
    button = page.locator(".live-play")
    zh = catalogue("zh")
    assert button.get_attribute("aria-label") == zh["live_vae.mc_play"]
    assert page.locator('input[data-name="n"]').get_attribute("aria-label") == zh["live_vae.mc_scrubber"]
    assert page.locator("canvas.live-plot").first.get_attribute("aria-label") == zh["live_vae.mc_chart_aria"]
    assert shown(page)["n"] == 10
    frames = page.evaluate("() => window.__liveStats.mc.frames")
    button.click()
    assert wait_shown(page, 1000)["n"] == 1000
    assert page.evaluate("() => window.__liveStats.mc.frames") - frames <= 3  # no animation: straight to the end
    page.wait_for_url(re.compile(r"[?&]n=1000(&|$)"))
