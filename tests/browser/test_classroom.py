"""Classroom mode in Chromium: presenter mode on a 1280×720 projector, the lesson path stepped
through with the arrow keys, predict-then-reveal, and the share control's QR code."""

import re

import pytest

from tests.browser.support import wait_settled
from ui.i18n import catalogue
from ui.lesson import STEPS

pytestmark = pytest.mark.browser
KL_STEP = 1 + [s.key for s in STEPS].index("kl")


@pytest.fixture
def projector(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def test_lesson_steps_with_arrow_keys_in_presenter_mode(projector, app_url):
    page = projector
    page.goto(f"{app_url}/lesson?lang=en&present=1")
    wait_settled(page)
    page.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
    for number in range(2, len(STEPS) + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(rf"step={number}(&|$)"))
        wait_settled(page)
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(rf"step={len(STEPS) - 1}(&|$)"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_every_lesson_step_reveals_its_picture_on_one_screen(projector, app_url, number, lang):
    """A class run from /lesson alone: after any answer, the step's picture (a live view with its own
    controls, or the VAE step's posterior chart) is whole on the 1280×720 screen without scrolling."""
    page = projector
    page.goto(f"{app_url}/lesson?lang={lang}&present=1&step={number}")
    wait_settled(page)
    page.get_by_role("radio").first.check(force=True)
    wait_settled(page)
    page.get_by_role("button", name=catalogue(lang)["lesson.reveal"]).click()
    wait_settled(page)
    page.wait_for_function(PICTURE_JS, timeout=20_000)


def test_reveal_shows_the_live_picture_on_one_screen(projector, app_url):
    page = projector
    page.goto(f"{app_url}/lesson?lang=en&present=1&step={KL_STEP}")
    wait_settled(page)
    assert page.locator("canvas.live-plot").count() == 0  # the picture would give the answer away
    page.get_by_role("radio", name="KL(q‖p)").check(force=True)
    wait_settled(page)
    page.get_by_role("button", name=catalogue("en")["lesson.reveal"]).click()
    wait_settled(page)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 1
    chart = page.locator("canvas.live-plot").bounding_box()
    assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 720, chart  # the key chart fits the screen
    # in presenter mode → is the clicker's "next", even on a focused live control (issue 22, item 7)
    slider = page.locator('input[data-name="mu2"]')
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_url(re.compile(rf"step={KL_STEP + 1}(&|$)"))
    assert "mu2=1.01" not in page.url


def test_share_shows_a_qr_code_of_this_exact_view(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?lang=en&mu1=0.5")
    wait_settled(page)
    page.get_by_text(catalogue("en")["common.share"]).click()
    link = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]').inner_text()
    assert link.endswith("/gaussian-kl?lang=en&mu1=0.5&sigma1=1&mu2=1&sigma2=1.5&land=pq&n=1000&seed=0")
    image = page.locator('[data-testid="stPopoverBody"] img').first
    assert image.get_attribute("src").startswith("data:image/svg+xml")


@pytest.mark.parametrize(("path", "anchor"), [("gaussian-kl", "vae"), ("elbo", "ledger"), ("latent", "ledger"),
                                            ("monte-carlo", "iwae"), ("reparameterization", "vae")])
def test_section_link_scrolls_to_its_section(projector, app_url, path, anchor):
    page = projector
    page.goto(f"{app_url}/{path}?lang=en&section={anchor}")
    wait_settled(page)
    page.wait_for_function("(id) => { const e = document.getElementById(id); if (!e) return false;"
                           " const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
                           arg=anchor)  # in view (a section near the page's end cannot reach the top)
    assert f"section={anchor}" in page.url  # the short link survives the page's own URL writes


# Each page's key live view, at its section link ("": the page's top; None: no chart to show — the
# home page's cards, the lesson's pictures, which appear only after an answer: tested step by step).
KEY_SECTIONS = {"": None, "lesson": None, "gaussian-kl": "", "elbo": "ledger", "monte-carlo": "estimates",
                "reparameterization": "samples", "latent": "map", "draw": "pad", "training": "timeline"}
# A live view whose chart (over 150 px tall) and whose own controls above it are all on the screen.
INSIDE_JS = """() => {
  const inside = (r) => r.top >= 0 && r.bottom <= innerHeight + 0.5 && r.left >= 0 && r.right <= innerWidth;
  for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
    const chart = host.shadowRoot && host.shadowRoot.querySelector('canvas.live-plot, canvas.draw-pad');
    if (!chart) continue;
    const r = chart.getBoundingClientRect();
    if (r.height > 150 && inside(r) && inside(host.getBoundingClientRect())) return true;
  }
  return false;
}"""
PICTURE_JS = INSIDE_JS.replace("  return false;", """
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.some((c) => { const r = c.getBoundingClientRect(); return r.height > 150 && inside(r); });""")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", sorted(KEY_SECTIONS))
def test_presenter_mode_fits_a_key_chart_on_the_projector(projector, app_url, path, lang):
    """present=1 at 1280×720: no sidebar, and the page's key live view (at its section link) is whole
    on the screen — its controls and its chart together."""
    page = projector
    section = KEY_SECTIONS[path]
    page.goto(f"{app_url}/{path}?lang={lang}&present=1" + (f"&section={section}" if section else ""))
    wait_settled(page)
    page.wait_for_function("() => document.documentElement.classList.contains('st-present')")
    page.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
    if section is not None:
        page.wait_for_function(INSIDE_JS, timeout=20_000)
    sizes = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"] p')]"
                          ".map((p) => parseFloat(getComputedStyle(p).fontSize))")
    assert all(size >= 40 for size in sizes), sizes  # metric numbers large, readable from the back


# Text that a box cuts off ("…" or hidden overflow), in the page and in the live views' shadow roots;
# KaTeX's MathML copy and the skip link are visually hidden on purpose.
TRUNCATED_JS = """() => {
  const out = [];
  const visit = (root) => {
    for (const e of root.querySelectorAll('*')) {
      if (e.shadowRoot) visit(e.shadowRoot);
      if (!e.textContent.trim() || e.closest('.katex-mathml, [data-testid="stSkipToContent"]')) continue;
      const style = getComputedStyle(e);
      const clips = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
      if (clips && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) out.push(e.textContent.trim().slice(0, 60));
    }
  };
  visit(document);
  return out;
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nothing_is_truncated_at_150_percent_zoom_in_presenter_mode(chromium, app_url, lang):
    """A 1280×720 projector at 150 % browser zoom (853×480 CSS px): no label, metric or note ends in
    "…" or is cut off by its box, on any page (the lesson at a revealed step with a live view)."""
    context = chromium.new_context(viewport={"width": 853, "height": 480}, device_scale_factor=1.5)
    page = context.new_page()
    try:
        for path in sorted(KEY_SECTIONS):
            page.goto(f"{app_url}/{path}?lang={lang}&present=1" + (f"&step={KL_STEP}" if path == "lesson" else ""))
            wait_settled(page)
            page.wait_for_function("() => document.documentElement.classList.contains('st-present')")
            page.wait_for_timeout(500)  # live views draw after the rerun settles
            assert page.evaluate(TRUNCATED_JS) == [], path
    finally:
        context.close()
