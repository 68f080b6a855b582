"""Accessibility and phone layout, checked in Chromium (issue 13 items 5 and 7).

- axe-core (vendored: tests/browser/vendor/axe-core/, version in its VERSION file) runs on every
  page — home, /lesson and each registered page — in both languages and in presenter mode; no
  critical or serious violation may remain on the elements the app renders.
- Every plotly chart's text is ≥ 14 px (≥ 18 px in presenter mode).
- At 390×844 (a phone) no page is wider than the screen: neither the document nor Streamlit's own
  scrolling container (stMain) scrolls sideways.

Exempt, on purpose: Streamlit's sidebar navigation (``[data-testid="stSidebarNav"]``). Its markup
puts non-``<li>`` elements inside ``<ul>`` (axe ``list``/``listitem``, serious); it is Streamlit's
own component, not ours, and a trivial Streamlit app shows the same findings.
"""

from pathlib import Path

import pytest

from tests.browser.support import wait_settled
from ui.registry import HOME, LESSON, built_pages

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PATHS = [HOME.url_path, LESSON.url_path, *(p.url_path for p in built_pages())]
EXCLUDE = ['[data-testid="stSidebarNav"]']  # Streamlit's own nav markup, see the module docstring
BLOCKING = ("critical", "serious")

RUN_AXE = """async (exclude) => {
  const result = await axe.run({exclude: exclude.map((s) => [s])}, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.html.slice(0, 120))}));
}"""
PLOT_TEXT = """(min) => [...document.querySelectorAll('[data-testid="stPlotlyChart"] svg text')]
  .filter((e) => e.textContent.trim() && e.getClientRects().length)
  .map((e) => [e.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(e).fontSize)])
  .filter(([, size]) => size < min - 0.01)"""
WIDTHS = """() => ({document: document.documentElement.scrollWidth, body: document.body.scrollWidth,
  main: (document.querySelector('[data-testid="stMain"]') || document.body).scrollWidth})"""


def settle(page) -> None:
    """The app has rendered, app.css (linked by present.js after the first run) is applied, and
    app.js has had its second look (1 s after the last DOM change) at boxes that scroll."""
    wait_settled(page)
    page.wait_for_function("() => { const l = document.querySelector('link[data-live-app]'); return l && l.sheet; }")
    page.wait_for_timeout(1300)


@pytest.fixture
def context_at(chromium):
    contexts = []

    def make(width, height):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="en-US")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize(("lang", "present"), [("en", 0), ("zh", 0), ("en", 1), ("zh", 1)])
def test_axe_finds_nothing_serious_and_plot_text_is_readable(context_at, app_url, lang, present):
    page = context_at(1280, 720)
    axe = AXE.read_text(encoding="utf-8")
    min_px = 18 if present else 14
    problems = []
    for path in PATHS:
        page.goto(f"{app_url}/{path}?lang={lang}" + ("&present=1" if present else ""))
        settle(page)
        page.add_script_tag(content=axe)
        for v in page.evaluate(RUN_AXE, EXCLUDE):
            if v["impact"] in BLOCKING:
                problems.append(f"/{path}: {v['impact']} {v['id']}: {v['nodes'][:3]}")
        small = page.evaluate(PLOT_TEXT, min_px)
        if small:
            problems.append(f"/{path}: plot text below {min_px} px: {small[:5]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_scrolls_sideways_on_a_phone(context_at, app_url, lang):
    page = context_at(390, 844)
    wide = {}
    for path in PATHS:
        page.goto(f"{app_url}/{path}?lang={lang}")
        settle(page)
        widths = page.evaluate(WIDTHS)
        if max(widths.values()) > 390:
            wide[f"/{path}"] = widths
    assert not wide, wide
