"""The diffusion page's live "noise your digit" view in Chromium: the browser's schedule (ᾱ_t, SNR) and
x_t equal vae_core.diffusion and ui.diffusion_data to 1e-12, a drag of t redraws many times with no rerun
until release, and the release settles the URL and the server's numbers."""

import re

import numpy as np
import pytest

from harness.browser import wait_settled
from harness.live import SentFrames, call_js, drag_range, sweep
from ui import diffusion_data as data
from vae_core import diffusion as d

pytestmark = pytest.mark.browser
TOL = 1e-12


@pytest.mark.parametrize("kind", d.SCHEDULES)
def test_schedule_matches_vae_core(light_page, kind):
    page = light_page  # the parity checks import static/live/noise_math.js on the shared light page
    rng = np.random.default_rng(3)
    rows = []
    for T in (1, 2, 3, 7, 50, 1000):
        rows += [[T, kind, int(t)] for t in {0, 1, T, *rng.integers(0, T + 1, 20)}]
    js_ab = np.array(call_js(page, "noise_math", "alphaBar", rows))
    want = np.array([d.make_schedule(T, kind).alpha_bar[t] for T, _, t in rows])
    np.testing.assert_allclose(js_ab, want, rtol=TOL, atol=TOL)
    pos = [r for r in rows if r[2] > 0]
    js_snr = np.array(call_js(page, "noise_math", "snr", pos))
    np.testing.assert_allclose(js_snr, [d.make_schedule(T, kind).snr[t - 1] for T, _, t in pos], rtol=1e-10)


def test_noised_digit_matches_the_server(light_page):
    page = light_page
    bits, _ = data.holdout_digits()
    x0 = data.signed(bits[7])
    eps = data.noise(x0.shape, 42)
    sched = d.make_schedule(1000, "cosine")
    for t in (0, 1, 123, 1000):
        got = page.evaluate(
            """async ([x0, eps, ab, omab]) => {
                 const m = await import(new URL("app/static/live/noise_math.js", window.location.href).href);
                 return Array.from(m.noised(x0, eps, ab, omab));
               }""",
            [x0.tolist(), eps.tolist(), float(sched.alpha_bar[t]), float(sched.one_minus_alpha_bar[t])],
        )
        np.testing.assert_allclose(got, data.noised(x0, sched, t, 42), rtol=0, atol=TOL)


def test_drag_redraws_live_and_reruns_once_on_release(page, app_url):
    sent = SentFrames(page)
    page.goto(f"{app_url}/diffusion?lang=en&t=500&section=noise")
    wait_settled(page)
    mark = sent.mark()
    readout = page.locator(".live-readout-value").first
    seen = drag_range(page, 'input[data-name="t"]', readout.inner_text, sweep(30))
    assert len(set(seen)) >= 10, seen  # ᾱ_t changes during the drag…
    assert sent.since(mark) == 0  # …without a message to the server
    page.mouse.up()
    page.wait_for_url(re.compile(r"[?&]t=500(&|$)"))
    wait_settled(page)
    assert sent.since(mark) == 1  # one rerun for the whole gesture (no later stray one: test_live_kl.py)
    ab = d.make_schedule(1000, "linear").alpha_bar[500]
    assert readout.inner_text() == f"{ab:.4f}"
    assert f"ᾱ_t = {ab:.6f}" in page.get_by_text("Settled at t = 500").inner_text()
    assert not page.js_errors
