"""The live Gaussian KL view in Chromium: the browser's closed forms equal vae_core's, a drag
redraws many times with no rerun until release, and the release settles the page and the URL."""

import re

import numpy as np
import pytest

from harness.browser import wait_settled
from harness.live import SentFrames, call_js, drag_range, sweep
from vae_core.gaussian import kl_diag_to_standard_normal, kl_integrand, kl_normal, normal_pdf

pytestmark = pytest.mark.browser
RTOL = 1e-9
LANDSCAPE_SIGNATURES = "() => window.__liveStats.kl_landscape.signatures.size"
LANDSCAPE_HAS = "window.__liveStats.kl_landscape.signatures.has"


def random_states(n: int, seed: int) -> np.ndarray:
    """(n, 4) states (μ₁, σ₁, μ₂, σ₂) over the page's slider ranges (σ log-uniform)."""
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-5, 5, (n, 2))
    sigma = np.exp(rng.uniform(np.log(0.1), np.log(5), (n, 2)))
    return np.column_stack([mu[:, 0], sigma[:, 0], mu[:, 1], sigma[:, 1]])


def test_closed_forms_match_vae_core(light_page):
    page = light_page
    states = random_states(500, seed=11)
    js_kl = np.array(call_js(page, "math", "klNormal", states.tolist()))
    np.testing.assert_allclose(js_kl, kl_normal(*states.T), rtol=RTOL, atol=0)
    x = np.random.default_rng(12).uniform(-20, 20, 500)
    rows = np.column_stack([x, states]).tolist()
    np.testing.assert_allclose(
        call_js(page, "math", "klIntegrand", rows), kl_integrand(x, *states.T), rtol=RTOL, atol=1e-300
    )
    np.testing.assert_allclose(
        call_js(page, "math", "normalPdf", np.column_stack([x, states[:, :2]]).tolist()),
        normal_pdf(x, states[:, 0], states[:, 1]),
        rtol=RTOL,
        atol=1e-300,
    )
    diag = [[list(s[[0, 2]]), list(s[[1, 3]])] for s in states]
    np.testing.assert_allclose(
        call_js(page, "math", "klDiagToStandardNormal", diag),
        kl_diag_to_standard_normal(states[:, [0, 2]], states[:, [1, 3]]),
        rtol=RTOL,
    )


def test_drag_redraws_live_and_reruns_once_on_release(page, app_url):
    sent = SentFrames(page)
    page.goto(f"{app_url}/gaussian-kl?lang=en")
    wait_settled(page)
    mark = sent.mark()
    readout = page.locator(".live-readout-value").first
    seen = drag_range(page, 'input[data-name="mu2"]', readout.inner_text, sweep(30))
    assert len(set(seen)) >= 10, seen  # the picture changes during the drag…
    assert sent.since(mark) == 0  # …without a single message to the server
    # the landscape (its own live view, further down) follows the drag: one signature per q it drew
    assert page.evaluate(LANDSCAPE_SIGNATURES) >= 10
    page.mouse.up()
    page.wait_for_url(re.compile(r"mu2=0(&|$)"))  # sweep ends where it began: the slider's middle
    wait_settled(page)
    assert sent.since(mark) == 1  # one rerun for the whole gesture
    # The settled server-side metric equals the live readout for the released state.
    shown = page.locator(".live-readout-value").first.inner_text()
    assert shown == f"{float(kl_normal(0, 1, 0, 1.5)):.4f}"
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[0] == shown
    # No second report later: a stray one (a keyboard rest timer started by the drag's "change" event)
    # would fire within the rest delay of the release. A key on another control, pressed after the
    # release, reports after the same delay counted from later: when its rerun has come, a stray one
    # would have come before it.
    fence = page.locator('input[data-name="sigma2"]')
    fence.focus()
    fence.press("ArrowRight")
    page.wait_for_url(re.compile(r"sigma2=1\.51(&|$)"))
    assert sent.since(mark) == 2
    # the landscape shows the new q (never drawn before), then the other direction from the server
    page.wait_for_function(f"() => {LANDSCAPE_HAS}('0.0000|1.0000|0.0000|1.5100|pq')")
    page.locator('[data-testid="stButtonGroup"] button', has_text="KL(q‖p)").click()
    page.wait_for_function(f"() => {LANDSCAPE_HAS}('0.0000|1.0000|0.0000|1.5100|qp')")


def test_keyboard_moves_live_control_and_url(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?lang=en")
    wait_settled(page)
    slider = page.locator('input[data-name="mu2"]')
    assert slider.get_attribute("aria-label") == "μ₂ — mean of q"
    slider.focus()
    for _ in range(3):
        slider.press("ArrowRight")
    page.wait_for_url(re.compile(r"mu2=1\.03"))
    wait_settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".live-readout-value").first.inner_text() == f"{float(kl_normal(0, 1, 1.03, 1.5)):.4f}"


def test_preset_moves_the_live_view(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?lang=en&mu1=0.5&sigma1=0.7&mu2=-1&sigma2=2")
    wait_settled(page)
    page.get_by_role("button", name="Swap p and q").click()
    page.wait_for_url(re.compile(r"mu1=-1&"))
    wait_settled(page)
    assert page.locator('input[data-name="mu1"]').input_value() == "-1"
    assert page.locator(".live-readout-value").first.inner_text() == f"{float(kl_normal(-1, 2, 0.5, 0.7)):.4f}"


def test_dragging_back_after_a_preset_settles_again(page, app_url):
    """Release at μ₂ = 0; the preset q = p moves μ₂ to 2; releasing at μ₂ = 0 again reports the very
    values of the first release, and must still rerun (Streamlit skips a state equal to the last)."""
    page.goto(f"{app_url}/gaussian-kl?lang=en&mu1=2&sigma1=1&mu2=1&sigma2=1")
    wait_settled(page)
    slider = 'input[data-name="mu2"]'
    drag_range(page, slider, lambda: None, [0.5, 0.6, 0.5])
    page.mouse.up()
    page.wait_for_url(re.compile(r"mu2=0&"))
    wait_settled(page)
    page.get_by_role("button", name="q = p").click()
    page.wait_for_url(re.compile(r"mu2=2&"))
    wait_settled(page)
    drag_range(page, slider, lambda: None, [0.5, 0.6, 0.5])
    page.mouse.up()
    page.wait_for_url(re.compile(r"mu2=0&"))
