"""The drawing pad in Chromium: the browser's preprocessing equals vae_core/preprocess.py on
recorded strokes; a stroke moves q at every frame with no message to the server, and its end
sends the digit once (ledger, URL); a `draw=` link reproduces the digit and its numbers; touch
and keyboard draw too, and nothing is wider than a phone."""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
import torch

from harness.browser import NEXT_FRAME_JS, wait_settled
from harness.live import LIVE_FRAMES_JS, SentFrames, call_js
from tests.browser.conftest import PHONE_TOUCH
from vae_core import latent
from vae_core.preprocess import binarize, pack, preprocess_strokes, starter_packed, unpack

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_cpu_thread")]
CASES = json.loads((Path(__file__).parents[1] / "data" / "strokes.json").read_text())["cases"]
PAD = "canvas.draw-pad"
MU = ".live-readout-value"
STROKES_JS = "el => el.closest('.draw-root').parentNode.__liveView.strokes"


def metric(page, label: str) -> float:
    block = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))
    )
    return float(block.locator('[data-testid="stMetricValue"]').inner_text().replace("−", "-"))


def draw_param(url: str) -> str:
    return parse_qs(urlparse(url).query)["draw"][0]


def pad_box(page):
    page.locator("button.draw-clear").click()
    page.locator(PAD).evaluate("el => el.scrollIntoView({block: 'center'})")
    page.evaluate(NEXT_FRAME_JS)  # scrolled and the cleared pad drawn
    return page.locator(PAD).bounding_box()


def seven(box, n=30):
    """Pad points of a '7' drawn in one stroke: the bar, then the diagonal."""
    fractions = [(0.25 + 0.5 * i / 10, 0.25) for i in range(11)]
    fractions += [(0.75 - 0.3 * i / n, 0.25 + 0.55 * i / n) for i in range(1, n + 1)]
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in fractions]


def test_preprocessing_matches_python_on_recorded_strokes(light_page):
    page = light_page
    rows = [[case["strokes"], case.get("base")] for case in CASES]
    js = np.array(call_js(page, "preprocess", "mnistFromStrokes", rows))
    for case, grey_js in zip(CASES, js, strict=True):
        base = unpack(case["base"]) if case.get("base") else None
        grey = preprocess_strokes(case["strokes"], base).ravel()
        np.testing.assert_allclose(grey_js, grey, atol=1e-9, err_msg=case["name"])
        assert np.abs(np.rint(255 * grey_js) - np.rint(255 * grey)).max() <= 1, case["name"]
        np.testing.assert_array_equal(binarize(grey_js), binarize(grey), err_msg=case["name"])
    bits = [binarize(preprocess_strokes(c["strokes"])).tolist() for c in CASES]
    assert call_js(page, "preprocess", "packBits", [[b] for b in bits]) == [pack(np.array(b)) for b in bits]
    assert call_js(page, "preprocess", "unpackBits", [[pack(np.array(b))] for b in bits]) == bits


def test_stroke_moves_q_live_then_sends_the_digit_once(page, app_url, model, browser_model):
    sent = SentFrames(page)
    page.goto(f"{app_url}/draw?lang=en")
    wait_settled(page)
    start_url = page.url
    assert "draw" in page.locator(PAD).get_attribute("aria-label").lower()
    box = pad_box(page)
    mark, frames = sent.mark(), page.evaluate(LIVE_FRAMES_JS, "draw")
    points = seven(box)
    page.mouse.move(*points[0])
    page.mouse.down()
    seen = []
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
        seen.append(page.locator(MU).first.inner_text())
    assert len(set(seen)) >= 5, seen  # q moves while the stroke grows…
    assert sent.since(mark) == 0  # …and the server hears nothing
    assert page.evaluate(LIVE_FRAMES_JS, "draw") - frames >= 10
    page.mouse.up()
    page.wait_for_function("u => window.location.href !== u", arg=start_url)
    wait_settled(page)
    assert 1 <= sent.since(mark) <= 3
    packed = draw_param(page.url)
    # the browser's digit is the Python reference's on the very strokes it recorded
    strokes = page.locator(PAD).evaluate(STROKES_JS)
    assert len(strokes) == 1 and len(strokes[0]) > 20
    assert packed == pack(binarize(preprocess_strokes(strokes)))
    logpx, elbo, gap = metric(page, "log p(x)"), metric(page, "ELBO"), metric(page, "KL(q‖p(z|x))")
    assert elbo <= logpx and gap >= 0 and abs(logpx - elbo - gap) < 2e-3
    shown = page.locator(MU).first.inner_text()
    x = torch.tensor(unpack(packed), dtype=torch.float32)[None]
    with torch.no_grad():
        mu, _ = browser_model.encode(x)  # the weights the browser fetched (int8 rows): while drawing
        mu32, _ = model.encode(x)  # the server's float32 encoder: the ledger's, shown at rest
    assert shown == f"({mu32[0, 0]:.3f}, {mu32[0, 1]:.3f})".replace("-", "−")
    assert float((mu - mu32).abs().max()) < 0.03
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
    assert sum("/model/vae_decoder_q8.bin?v=" in u or "/model/vae_encoder_q8.bin?v=" in u for u in fetched) == 2
    assert page.locator('[data-testid="stException"]').count() == 0 and not page.js_errors


def test_draw_link_reproduces_digit_and_numbers(page, app_url, model):
    packed = pack(binarize(preprocess_strokes(CASES[0]["strokes"])))
    page.goto(f"{app_url}/draw?lang=en&draw={packed}")
    wait_settled(page)
    assert draw_param(page.url) == packed
    view_digit = page.locator(PAD).evaluate("el => el.closest('.draw-root').parentNode.__liveView.current")
    assert view_digit == packed  # the pad starts from the linked digit
    post = latent.digit_posterior(model, unpack(packed))
    assert metric(page, "log p(x)") == pytest.approx(post.log_px, abs=2e-4)
    assert metric(page, "ELBO") == pytest.approx(post.elbo_quad, abs=2e-4)
    assert metric(page, "KL(q‖p(z|x))") == pytest.approx(post.kl_posterior, abs=2e-4)
    shown = page.locator(MU).first
    page.wait_for_function("el => el.innerText !== '—'", arg=shown.element_handle())
    assert shown.inner_text() == f"({post.mu_q[0]:.3f}, {post.mu_q[1]:.3f})".replace("-", "−")


def test_garbled_link_warns_and_shows_the_starter(page, app_url, model):
    page.goto(f"{app_url}/draw?lang=en&draw=not-a-drawing")
    wait_settled(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert len(draw_param(page.url)) == 131
    # the pad encodes the starter digit as it is, so its μ is the ledger's (it once preprocessed the
    # starter's picture again and showed (−0.00, −1.10) beside the ledger's (−0.09, −1.36))
    post = latent.digit_posterior(model, unpack(starter_packed()))
    shown = page.locator(MU).first
    page.wait_for_function("el => el.innerText !== '—'", arg=shown.element_handle())
    assert shown.inner_text() == f"({post.mu_q[0]:.3f}, {post.mu_q[1]:.3f})".replace("-", "−")
    assert metric(page, "KL(q‖p(z|x))") == pytest.approx(post.kl_posterior, abs=2e-4)


def test_keyboard_draws_a_stroke(page, app_url):
    page.goto(f"{app_url}/draw?lang=en")
    wait_settled(page)
    start_url = page.url
    pad = page.locator(PAD)
    pad.evaluate("el => el.scrollIntoView({block: 'center'})")
    pad.focus()
    for key in ["ArrowUp"] * 10 + [" "] + ["ArrowDown"] * 20 + [" "]:
        pad.press(key)
    page.wait_for_function("u => window.location.href !== u", arg=start_url)
    wait_settled(page)
    strokes = pad.evaluate(STROKES_JS)
    assert len(strokes) == 1 and len(strokes[0]) == 21
    # the starter 2 gave way to the first stroke: the digit is that stroke alone
    assert draw_param(page.url) == pack(binarize(preprocess_strokes(strokes)))
    assert metric(page, "ELBO") <= metric(page, "log p(x)")


def test_touch_on_a_phone(contexts, app_url):
    page = contexts.page(**PHONE_TOUCH)
    try:
        page.goto(f"{app_url}/draw?lang=zh")
        wait_settled(page)
        start_url = page.url
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert "手写板" in page.locator(PAD).get_attribute("aria-label")
        box = pad_box(page)
        cdp = page.context.new_cdp_session(page)
        points = seven(box, n=15)
        for i, (x, y) in enumerate(points):
            kind = "touchStart" if i == 0 else "touchMove"
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_function("u => window.location.href !== u", arg=start_url)
        wait_settled(page)
        assert len(page.locator(PAD).evaluate(STROKES_JS)[0]) > 10
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    finally:
        page.close()


def _png(array) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_replaces_the_digit_and_bad_files_get_a_message(page, app_url):
    page.goto(f"{app_url}/draw?lang=en")
    wait_settled(page)
    start = draw_param(page.url)
    page.get_by_text("Upload a picture instead").click()
    scan = np.full((200, 160), 240, dtype=np.uint8)  # a dark '1' on light paper
    scan[30:170, 70:88] = 20
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploader.set_input_files({"name": "one.png", "mimeType": "image/png", "buffer": _png(scan)})
    page.wait_for_function("u => !window.location.href.includes(u)", arg=start)
    wait_settled(page)
    assert page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="one.png").count() == 1
    packed = draw_param(page.url)
    page.wait_for_function(
        f"el => el.closest('.draw-root').parentNode.__liveView.current === '{packed}'",
        arg=page.locator(PAD).element_handle(),
    )
    blank = np.full((50, 50), 255, dtype=np.uint8)
    uploader.set_input_files({"name": "blank.png", "mimeType": "image/png", "buffer": _png(blank)})
    page.locator('[data-testid="stAlertContentError"]').filter(has_text="No ink found").wait_for()
    assert draw_param(page.url) == packed  # a bad file leaves the digit alone
    assert page.locator('[data-testid="stException"]').count() == 0
