"""The live latent pad and interpolation in Chromium: log p(z) in the browser equals vae_core's, a drag
over the pad shows many decoded digits with no message to the server until release, the release
settles the URL and the server's views once, the digit the pad shows is torch's decoder output, the
keyboard and touch move z, a click on a dot selects that digit, the interpolation plays (and holds
still for reduced motion), and the pad fits a phone."""

import re

import numpy as np
import pytest
import torch

from harness.browser import NEXT_FRAME_JS, wait_settled
from harness.live import SentFrames, call_js
from tests.browser.conftest import PHONE_TOUCH, PROJECTOR
from ui.i18n import catalogue
from vae_core.latent import log_prior_density

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_cpu_thread")]
RTOL = 1e-9
PAD, DIGIT = "canvas.live-pad", ".latent-pad .latent-digit-canvas"
MODEL_READY = """() => { const s = (window.__liveStats || {}).latent;
                         return !!s && [...s.signatures].some((x) => x !== "loading"); }"""
SIGNATURES = "() => window.__liveStats.latent.signatures.size"
ONE_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => done(true)))"
PIXELS = """(c) => ({z: c.__z, p: Array.from(c.__pixels),
                     grey: Array.from(c.getContext("2d").getImageData(0, 0, 28, 28).data)})"""


def open_latent(page, app_url, lang="en", query=""):
    page.goto(f"{app_url}/latent?lang={lang}{query}")
    wait_settled(page, timeout_ms=180_000)  # the first visit integrates the ledger's posterior
    page.wait_for_function(MODEL_READY, timeout=60_000)
    page.locator(PAD).scroll_into_view_if_needed()
    page.evaluate(NEXT_FRAME_JS)


def torch_decode(model, z) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(model.decode(torch.tensor([z], dtype=torch.float32)))[0].double().numpy()


def shown_digit(page) -> dict:
    return page.locator(DIGIT).evaluate(PIXELS)


def wait_z(page, z, selector=DIGIT, timeout_ms=10_000) -> dict:
    """Wait until the digit canvas shows the decode at ``z`` (it is drawn at the next frame), then read it."""
    canvas = page.locator(selector)
    canvas.wait_for(state="attached", timeout=timeout_ms)
    page.wait_for_function(
        "([c, z]) => !!c.__z && c.__z.length === z.length && c.__z.every((v, i) => v === z[i])",
        arg=[canvas.element_handle(), list(z)],
        timeout=timeout_ms,
    )
    return canvas.evaluate(PIXELS)


def url_z(page) -> tuple[float, float]:
    query = dict(re.findall(r"[?&](z[12])=([^&]+)", page.url))
    return float(query["z1"]), float(query["z2"])


def server_readout(page) -> str:
    return " ".join(page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="log p(z) =").all_inner_texts())


def test_log_prior_density_matches_vae_core(light_page):
    page = light_page
    rng = np.random.default_rng(21)
    z = np.concatenate([rng.uniform(-4, 4, (400, 2)), rng.normal(0, 10, (100, 2)), [[0.0, 0.0]]])
    js = np.array(call_js(page, "math", "logPriorDensity", [[list(row)] for row in z]))
    expected = np.array([log_prior_density(row) for row in z])
    np.testing.assert_allclose(js, expected, rtol=RTOL, atol=0)


def test_drag_decodes_live_and_reruns_once_on_release(page, app_url, model, browser_model):
    sent = SentFrames(page)
    open_latent(page, app_url)
    assert page.locator(PAD).get_attribute("aria-label") == catalogue("en")["live_latent.pad_aria"]
    box = page.locator(PAD).bounding_box()
    cx, cy, r = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.47, box["width"] * 0.25
    before = page.evaluate(SIGNATURES)
    mark = sent.mark()
    page.mouse.move(cx, cy)
    page.mouse.down()
    moves = 30
    for k in range(moves):  # circle around the middle of the map
        angle = 0.35 * k
        page.mouse.move(cx + r * np.cos(angle) * min(1, k / 8), cy + r * np.sin(angle) * min(1, k / 8))
        page.evaluate(ONE_FRAME_JS)  # the pad decodes at most once per frame: let it draw this point
    distinct = page.evaluate(SIGNATURES) - before
    assert distinct >= 10, (distinct, moves)  # many different digits during the drag…
    assert sent.since(mark) == 0  # …and not one message to the server
    page.mouse.up()
    live = shown_digit(page)
    z1, z2 = live["z"]
    page.wait_for_url(re.compile(rf"z1={z1:g}&z2={z2:g}(&|$)"))
    wait_settled(page)
    assert 1 <= sent.since(mark) <= 2  # one rerun (and at most one stray frame, e.g. a heartbeat)
    assert url_z(page) == (z1, z2)
    # The server's settled readout agrees with the live one.
    live_logp = page.locator(".latent-pad .live-readout-value").nth(1).inner_text().replace("\u2212", "-")
    assert f"log p(z) = {live_logp} nats" in server_readout(page)
    assert f"z = ({z1:.2f}, {z2:.2f})" in server_readout(page)
    # The digit the pad shows at the released z is the torch decoder's output there (with the
    # weights the browser fetched: the decoder's file only — this page never encodes).
    expected = torch_decode(browser_model, [z1, z2])
    np.testing.assert_allclose(live["p"], expected, atol=1e-5, rtol=0)
    grey = np.array(live["grey"]).reshape(784, 4)[:, 0]
    assert np.abs(grey - np.rint(255 * expected)).max() <= 1
    # the server's float32 decoder (the manifold, the interpolation) draws the same digit there
    assert np.abs(np.array(live["p"]) - torch_decode(model, [z1, z2])).max() < 0.03
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
    assert any("/model/vae_decoder_q8.bin?v=" in url for url in fetched), fetched
    assert not any("vae_encoder" in url or "vae_f32" in url for url in fetched), fetched
    assert not page.js_errors


def test_keyboard_moves_z_with_one_rerun(page, app_url):
    sent = SentFrames(page)
    open_latent(page, app_url, query="&z1=0.5&z2=-0.5")
    pad = page.locator(PAD)
    pad.focus()
    mark = sent.mark()
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowUp", "Shift+ArrowUp"):
        pad.press(key)
    assert wait_z(page, [0.65, -0.2])["z"] == [0.65, -0.2]  # 3 × 0.05 right, 0.05 + 0.25 up
    page.wait_for_url(re.compile(r"z1=0\.65&z2=-0\.2(&|$)"))
    wait_settled(page)
    assert 1 <= sent.since(mark) <= 2  # the keys rest → one report
    assert "z = (0.65, -0.20)" in server_readout(page)
    assert page.locator('input[data-name="z1"]').input_value() == "0.65"


def test_live_sliders_move_the_pad_and_speak_chinese(page, app_url):
    open_latent(page, app_url, lang="zh")
    zh = catalogue("zh")
    assert page.locator(PAD).get_attribute("aria-label") == zh["live_latent.pad_aria"]
    slider = page.locator('input[data-name="z2"]')
    assert slider.get_attribute("aria-label") == zh["live_latent.z2_aria"]
    slider.focus()
    slider.press("ArrowLeft")
    page.wait_for_url(re.compile(r"z2=-0\.01(&|$)"))
    assert wait_z(page, [0, -0.01])["z"] == [0, -0.01]


def test_click_on_a_dot_selects_that_digit(page, app_url):
    from vae_core.data import load_digits

    open_latent(page, app_url)
    codes = page.evaluate("async () => (await (await fetch('app/static/model/holdout_codes.json')).json()).mu")
    mu = np.array(codes)
    gaps = np.sort(np.linalg.norm(mu[:, None] - mu[None], axis=-1), axis=1)[:, 1]
    i = int(np.argmax(np.where(np.abs(mu).max(axis=1) < 3.8, gaps, 0)))  # the loneliest dot on the map
    box = page.locator(PAD).bounding_box()
    side = min(box["width"] - 50, box["height"] - 48)  # latent.js mapPanel: a centred square
    left = 40 + (box["width"] - 50 - side) // 2
    px = box["x"] + left + (mu[i, 0] + 4.2) / 8.4 * side
    py = box["y"] + 8 + (4.2 - mu[i, 1]) / 8.4 * side
    page.mouse.click(px, py)
    label = int(load_digits("holdout")[1][i])
    page.get_by_text(f"Selected: digit #{i} (a {label}).").wait_for()
    assert url_z(page) == (round(mu[i, 0], 2), round(mu[i, 1], 2))
    page.get_by_role("button", name="Its ELBO ledger").click()
    page.wait_for_url(re.compile(rf"idx={i}(&|$)"))


def test_interpolation_plays_in_the_browser(page, app_url, browser_model):
    sent = SentFrames(page)
    open_latent(page, app_url, query="&from=50&to=450")
    play = page.locator("button.latent-play")
    play.scroll_into_view_if_needed()
    mark = sent.mark()
    play.click()
    # the digit morphs at frame rate: ten different digits drawn while it plays
    page.wait_for_function("() => window.__liveStats.latent_path.signatures.size >= 10", timeout=20_000)
    assert play.get_attribute("aria-pressed") == "true"
    play.click()
    assert sent.since(mark) == 0  # the animation never talks to the server
    digit = page.locator(".latent-path .latent-digit-canvas").nth(1).evaluate(PIXELS)
    np.testing.assert_allclose(digit["p"], torch_decode(browser_model, digit["z"]), atol=1e-5, rtol=0)


def test_reduced_motion_shows_the_end_frames(contexts, app_url, browser_model):
    page = contexts.page(**PROJECTOR)
    page.emulate_media(reduced_motion="reduce")
    try:
        open_latent(page, app_url)
        play = page.locator("button.latent-play")
        assert play.is_disabled()
        ends = page.locator(".latent-path .latent-end canvas")
        assert ends.count() == 2 and ends.first.is_visible()
        codes = page.evaluate("async () => (await (await fetch('app/static/model/holdout_codes.json')).json()).mu")
        for n, idx in enumerate((167, 363)):  # the page's default ends
            shown = wait_z(page, codes[idx], selector=f".latent-path .latent-end >> nth={n} >> canvas")
            assert shown["z"] == codes[idx]
            np.testing.assert_allclose(shown["p"], torch_decode(browser_model, codes[idx]), atol=1e-5, rtol=0)
    finally:
        page.close()


def test_phone_fits_and_touch_drags(contexts, app_url):
    page = contexts.page(**PHONE_TOUCH)
    try:
        open_latent(page, app_url)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        box = page.locator(PAD).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        cdp = page.context.new_cdp_session(page)
        x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for k in range(1, 12):
            point = {"x": x - 6 * k, "y": y + 4 * k}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        z1, z2 = shown_digit(page)["z"]
        assert z1 < -0.3 and z2 < -0.2
        page.wait_for_url(re.compile(rf"z1={z1:g}&z2={z2:g}(&|$)"))
    finally:
        page.close()
