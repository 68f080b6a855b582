"""Classroom mode in Chromium: presenter mode on a 1280×720 projector, the lesson path stepped
through with the arrow keys, predict-then-reveal, and the share control's QR code."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import TimeoutError

from harness.browser import wait_settled
from tests.browser.conftest import PROJECTOR
from tests.browser.layout import PICTURE_JS
from ui.i18n import catalogue
from ui.lesson import STEPS
from ui.registry import built_pages
from ui.share import page_sections

pytestmark = pytest.mark.browser
KL_STEP = 1 + [s.key for s in STEPS].index("kl")


@pytest.fixture
def projector(contexts):
    page = contexts.page(**PROJECTOR)
    yield page
    page.close()


class Lesson:
    """One presenter-mode page per language that walks the lesson as a class does: the next step by
    the → key, any other step by its link (so each step's test also runs alone)."""

    def __init__(self, page, app_url: str, lang: str) -> None:
        self.page, self.app_url, self.lang = page, app_url, lang
        self.step = None

    def go(self, number: int) -> None:
        page = self.page
        if self.step == number - 1:
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            page.keyboard.press("ArrowRight")
            page.wait_for_url(re.compile(rf"step={number}(&|$)"))
        else:
            page.goto(f"{self.app_url}/lesson?lang={self.lang}&present=1&step={number}")
        # The step's own heading (st.header's anchor step-N): after →, the URL can change before the
        # rerun it asks for is on the websocket, and the page then looks settled on the previous step
        # (a loaded machine showed it: the next test clicked that step's answered radio).
        page.locator(f'[id="step-{number}"]').wait_for()
        wait_settled(page)
        self.step = number


@pytest.fixture(scope="module", params=["en", "zh"])
def lesson(request, contexts, app_url):
    page = contexts.page(**PROJECTOR)
    walk = Lesson(page, app_url, request.param)
    walk.go(1)
    page.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
    yield walk
    page.close()


# The revealed step's "why" paragraph (views/lesson.py's `lesson_why` container) whole on the screen.
WHY_JS = """() => {
  const texts = [...document.querySelectorAll('.st-key-lesson_why [data-testid="stMarkdownContainer"]')];
  if (!texts.length) return false;
  const inside = (r) => r.top >= 0 && r.bottom <= innerHeight + 0.5;
  return texts.every((e) => inside(e.getBoundingClientRect()));
}"""


# Where each live view's host and chart are (for the message when the picture is not on the screen).
HOSTS_JS = """() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].map((host) => {
  const chart = host.shadowRoot && host.shadowRoot.querySelector('canvas.live-plot, canvas.draw-pad');
  const r = host.getBoundingClientRect(), c = chart ? chart.getBoundingClientRect() : null;
  return {host: [Math.round(r.top), Math.round(r.bottom)], chart: c && [Math.round(c.top), Math.round(c.bottom)],
    screen: innerHeight};
}).filter((v) => v.chart)"""
WHY_BOXES_JS = """() => [...document.querySelectorAll('.st-key-lesson_why [data-testid="stMarkdownContainer"]')]
  .map((e) => { const r = e.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.bottom)]; })"""


@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_every_lesson_step_reveals_its_picture_on_one_screen(lesson, number):
    """A class run from /lesson alone, stepping with →: after any answer, the step's picture (a live
    view with its own controls, or the VAE step's posterior chart) and the paragraph that explains it
    are whole on the 1280×720 screen without scrolling (the options give the paragraph their place)."""
    lesson.go(number)
    page = lesson.page
    # a click event on the input itself: a pointer click at its place can miss while the step's lead
    # (step 5's digit) still moves the layout
    page.get_by_role("radio").first.dispatch_event("click")
    wait_settled(page)
    page.get_by_role("button", name=catalogue(lesson.lang)["lesson.reveal"]).click()
    wait_settled(page)
    # 45 s: the drawing step's view loads the VAE's weights first (slow on a loaded two-worker run)
    try:
        page.wait_for_function(PICTURE_JS, timeout=45_000)
    except TimeoutError as error:
        raise AssertionError(f"the step's picture is not whole on the screen: {page.evaluate(HOSTS_JS)}") from error
    try:  # … and the paragraph that says why, with it
        page.wait_for_function(WHY_JS, timeout=20_000)
    except TimeoutError as error:
        boxes = page.evaluate(WHY_BOXES_JS)
        raise AssertionError(f"the why paragraph is off the {PROJECTOR['viewport']} screen: {boxes}") from error
    assert not page.js_errors, page.js_errors


class ClassLesson(Lesson):
    """The same walk as the teacher of a live class: one presenter-mode page per language that starts
    a class (its secret lives in that page's session, so the walk goes on by → only: a new page load
    starts a new class) and reveals each step for everyone after the phones voted (over HTTP)."""

    def go(self, number: int) -> None:
        if self.step == number - 1:
            super().go(number)
            return
        page = self.page  # a step's test run alone: a fresh page and class, from that step
        page.goto(f"{self.app_url}/lesson?lang={self.lang}&present=1&step={number}")
        wait_settled(page)
        page.locator(".st-key-lesson_class_start button").first.click()
        self.code = page.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000).strip()
        page.locator(".st-key-lesson_class_join_hide button").first.click()
        page.locator(f'[id="step-{number}"]').wait_for(timeout=30_000)
        wait_settled(page)
        self.step = number

    def vote(self, question: str, options: list[int]) -> None:
        for i, option in enumerate(options):
            body = json.dumps({"token": f"projector-phone-{i:04d}", "question": question, "round": 1, "option": option})
            request = urllib.request.Request(
                f"{self.app_url}/class/api/{self.code}/vote",
                data=body.encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200


@pytest.fixture(scope="module", params=["en", "zh"])
def class_lesson(request, contexts, app_url):
    page = contexts.page(**PROJECTOR)
    walk = ClassLesson(page, app_url, request.param)
    yield walk
    page.close()


# The revealed class question on the projector: how many parts its stacked bar has and the right one's count.
OUTCOME_JS = """() => {
  const host = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .find((h) => h.shadowRoot && h.shadowRoot.querySelector('[data-testid="live-class-outcome"]'));
  if (!host) return null;
  const box = host.shadowRoot.querySelector('[data-testid="live-class-outcome"]');
  const r = box.getBoundingClientRect();
  const right = box.querySelector('[data-answer="true"]');
  return {parts: box.querySelectorAll('.lc-part').length, right: right && right.textContent,
          inside: r.top >= 0 && r.bottom <= innerHeight + 0.5};
}"""


@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_every_step_revealed_to_a_class_fits_the_projector(class_lesson, number):
    """The teacher of a live class (1280×720, presenter mode) walks the lesson with →: the phones
    vote (7 votes: 1, 2 and 4 on the three options), the teacher reveals for everyone, and the step's
    picture, the class's split (the right option's part marked with its count) and the why paragraph
    are whole on the screen without scrolling."""
    class_lesson.go(number)
    page, step = class_lesson.page, STEPS[number - 1]
    votes = [0, 1, 1, 2, 2, 2, 2]
    class_lesson.vote(step.key, votes)
    answered = catalogue(class_lesson.lang)["classroom.phone.answered"].format(round=1, n=len(votes))
    page.get_by_test_id("live-class-answered").filter(has_text=answered).wait_for(timeout=30_000)
    page.locator(".st-key-lesson_class_reveal button").first.click()
    wait_settled(page)
    page.wait_for_function(PICTURE_JS, timeout=45_000)
    try:
        page.wait_for_function(WHY_JS, timeout=20_000)
    except TimeoutError as error:
        boxes = page.evaluate(WHY_BOXES_JS)
        raise AssertionError(f"the why paragraph is off the {PROJECTOR['viewport']} screen: {boxes}") from error
    right = "abc".index(step.correct)
    assert page.evaluate(OUTCOME_JS) == {"parts": 3, "right": f"✓ {votes.count(right)}", "inside": True}
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0  # the class bar says the answer
    assert not page.js_errors, page.js_errors


def test_left_arrow_steps_back(lesson):
    lesson.go(len(STEPS))
    lesson.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    lesson.page.keyboard.press("ArrowLeft")
    lesson.page.wait_for_url(re.compile(rf"step={len(STEPS) - 1}(&|$)"))
    lesson.page.locator(f'[id="step-{len(STEPS) - 1}"]').wait_for()
    wait_settled(lesson.page)
    lesson.step = len(STEPS) - 1


def test_reveal_shows_the_live_picture_on_one_screen(projector, app_url):
    page = projector
    page.goto(f"{app_url}/lesson?lang=en&present=1&step={KL_STEP}")
    wait_settled(page)
    assert page.locator("canvas.live-plot").count() == 0  # the picture would give the answer away
    # a click event on the input itself (as the lesson walk does): a forced pointer click at its place
    # missed it once on a loaded run ("did not change its state")
    page.get_by_role("radio", name="KL(q‖p)").dispatch_event("click")
    wait_settled(page)
    assert page.get_by_role("radio", name="KL(q‖p)").is_checked()
    page.get_by_role("button", name=catalogue("en")["lesson.reveal"]).click()
    wait_settled(page)
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 1
    # the key chart fits the screen once the page has scrolled to the revealed picture (app.js
    # scrolls on the next frames: asserting at once failed in a loaded run, y = 577 of 720)
    chart = page.locator("canvas.live-plot").element_handle()  # inside the view's shadow root
    page.wait_for_function(
        "(c) => { const r = c.getBoundingClientRect(); return r.y >= 0 && r.y + r.height <= 720; }",
        arg=chart,
        timeout=20_000,
    )
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


# Where a `section=` link landed: its own heading on the screen, or (presenter mode, a section whose live
# view cannot fit under its heading) its heading just above the screen with its own section filling at
# least the upper half of it — never a later section (`section=manifold` once landed on the interpolation,
# `section=graphs` on the samples).
LANDED_JS = """(name) => {
  const h = document.getElementById(name);
  if (!h) return false;
  const r = h.getBoundingClientRect();
  if (r.top >= 0 && r.bottom <= innerHeight) return true;
  const next = [...document.querySelectorAll('h1[id], h2[id]')].map((e) => e.getBoundingClientRect())
    .filter((b) => b.height > 0 && b.top > r.top + 1).map((b) => b.top);
  return r.top < 0 && Math.min(Infinity, ...next) > innerHeight / 2;
}"""
SCROLL_JS = """async (name) => {
  window.dispatchEvent(new KeyboardEvent("keydown"));  // the last link's scroll stops holding (a reader)
  window.scrollTo(0, 0);
  const boxes = '[data-testid="stMain"], [data-testid="stAppScrollToBottomContainer"]';
  for (const e of document.querySelectorAll(boxes)) e.scrollTop = 0;
  const m = await import(new URL("app/static/live/section.js", location.href).href);
  m.mount({data: [{section: name}]});
}"""


@pytest.mark.parametrize("info", built_pages(), ids=lambda info: info.url_path)
def test_every_section_link_lands_on_its_own_section(projector, app_url, info):
    """The share menu lists every section of the page (its anchored headers, read from the page's
    file), and each link scrolls to its own section on the 1280×720 projector (one page load per page:
    the section script runs once per link on the settled page)."""
    sections = page_sections(info.url_path)
    assert sections, info.url_path  # every page has its parts
    page = projector
    first = sections[-1][0]  # opened by its link: the page's own URL writes keep it
    page.goto(f"{app_url}/{info.url_path}?lang=zh&present=1&section={first}")
    wait_settled(page)
    page.wait_for_function(LANDED_JS, arg=first, timeout=20_000)
    assert f"section={first}" in page.url
    page.get_by_role("button", name=re.compile(catalogue("zh")["common.share"])).click()
    links = page.locator('[data-testid="stPopoverBody"] a[href*="section="]')
    links.nth(len(sections) - 1).wait_for()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert [re.search(r"section=([a-z0-9-]+)", h).group(1) for h in hrefs] == [a for a, _ in sections]
    assert all("present=" not in h and f"/{info.url_path}?" in h for h in hrefs)  # for phones
    page.keyboard.press("Escape")
    for anchor, _ in sections[:-1]:
        page.evaluate(SCROLL_JS, anchor)
        page.wait_for_function(LANDED_JS, arg=anchor, timeout=10_000)
