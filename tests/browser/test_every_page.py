"""Every page × language × mode in Chromium, each (page, language) loaded once and every mode's checks
run against that one load, in this order: the desk, a phone's width, presenter mode, 150 % zoom (the
lesson loads once more, at its KL step, for presenter mode).

Modes:
- desktop (1280×720): the page renders without an exception, its heading in the page's language,
  `lang=` kept in the URL, every formula rendered by KaTeX, every plotly chart drawn, no JS error;
  axe-core finds nothing critical or serious; plotly text ≥ 14 px; a full-page screenshot under
  artifacts/screenshots/<slug>_<lang>.png.
- phone (the same page narrowed to 390×844): no page is wider than the screen (neither the document
  nor stMain scrolls sideways).
- presenter (back to 1280×720, the sidebar's presenter switch turned on, the key section scrolled to
  as its link does; the lesson loaded at its KL step with `present=1`): no
  sidebar, the key live view whole on the projector's screen with its own controls, metric numbers
  ≥ 40 px; axe-core again; plotly text ≥ 18 px.
- zoom: the presenter page, then the projector zoomed to 150 % (853×480 CSS px at 1.5 device pixels
  per px): no label, metric or note ends in "…" or is cut off by its box.

axe-core is vendored (tests/browser/vendor/axe-core/, version in its VERSION file). Exempt, on purpose:
Streamlit's sidebar navigation (``[data-testid="stSidebarNav"]``). Its markup puts non-``<li>``
elements inside ``<ul>`` (axe ``list``/``listitem``, serious); it is Streamlit's own component, not
ours, and a trivial Streamlit app shows the same findings.
"""

import re
from pathlib import Path

import pytest

from harness.browser import full_screenshot, wait_settled
from tests.browser.conftest import PHONE, PROJECTOR, SCREENSHOTS
from tests.browser.layout import INSIDE_JS
from ui.i18n import catalogue
from ui.lesson import STEPS
from ui.registry import HOME, LESSON, built_pages, key_sections

pytestmark = pytest.mark.browser

PAGES = [HOME, LESSON, *built_pages()]
LANGS = ("en", "zh")
CASES = [(info, lang) for info in PAGES for lang in LANGS]
IDS = [f"{info.slug}-{lang}" for info, lang in CASES]
KL_STEP = 1 + [s.key for s in STEPS].index("kl")

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
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

# Each page's key live view, at its section link ("": the page's top; None: no chart to show — the
# home page's cards, the lesson's pictures, which appear only after an answer: test_classroom.py
# checks them step by step).
KEY_SECTIONS = key_sections()  # from ui/registry.py: a new page cannot be left out
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
PRESENT_JS = "() => document.documentElement.classList.contains('st-present')"
# static/live/app.js fixes wide equations and scroll boxes on the next frame after a DOM change or a
# window resize (and again after a quiet second): once the page has settled, a resize event makes it
# look at the final layout now.
APP_FIXED_JS = """async () => {
  const link = document.querySelector('link[data-live-app]');
  if (!link || !link.sheet) return false;
  window.dispatchEvent(new Event('resize'));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return true;
}"""


def open_view(contexts, url: str, **options):
    page = contexts.page(**options)
    page.goto(url)
    wait_settled(page)
    return page


def resize(page, width: int, height: int, scale: float = 1) -> None:
    """The window of an open page resized (CSS px) at ``scale`` device pixels per px, as a phone's screen
    or the browser's zoom gives it (DevTools' device metrics), then settled: a resize may rerun nothing,
    but the live views redraw at the new size."""
    page.context.new_cdp_session(page).send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False},
    )
    page.wait_for_function("([w, s]) => innerWidth === w && devicePixelRatio === s", arg=[width, scale])
    wait_settled(page)


def heading(page) -> str:
    return page.locator('[data-testid="stHeading"] h1').first.inner_text().strip()


def axe_problems(page, path: str) -> list[str]:
    wait_settled(page)  # nothing faded as stale by a late rerun while axe measures contrast
    page.wait_for_function(APP_FIXED_JS)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return [
        f"/{path}: {v['impact']} {v['id']}: {v['nodes'][:3]}"
        for v in page.evaluate(RUN_AXE, EXCLUDE)
        if v["impact"] in BLOCKING
    ]


# --- desktop ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def desktop(request, contexts, app_url):
    info, lang = request.param
    page = open_view(contexts, f"{app_url}/{info.url_path}?lang={lang}", **PROJECTOR)
    page.info, page.lang = info, lang
    yield page
    page.close()


def test_renders_in_its_language(desktop):
    assert desktop.locator('[data-testid="stException"]').count() == 0
    expected = catalogue(desktop.lang)["home.heading" if desktop.info is HOME else f"{desktop.info.slug}.title"]
    assert heading(desktop) == expected
    assert f"lang={desktop.lang}" in desktop.url


def test_formulas_and_charts_are_drawn(desktop):
    # every formula rendered by KaTeX (a failed parse shows a red .katex-error span)
    assert desktop.locator(".katex-error").count() == 0
    assert (
        desktop.locator('[data-testid="stPlotlyChart"] .main-svg').count()
        >= desktop.locator('[data-testid="stPlotlyChart"]').count()
    )
    assert not desktop.js_errors, desktop.js_errors


def test_axe_finds_nothing_serious(desktop):
    problems = axe_problems(desktop, desktop.info.url_path)
    assert not problems, "\n".join(problems)


def test_plot_text_is_readable(desktop):
    assert desktop.evaluate(PLOT_TEXT, 14) == []


def test_screenshot(desktop):
    """Next to last on the page: it grows the viewport to the page's height."""
    full_screenshot(desktop, SCREENSHOTS / f"{desktop.info.slug}_{desktop.lang}.png")
    assert not desktop.js_errors, desktop.js_errors


def test_no_page_scrolls_sideways_on_a_phone(desktop):
    """Last on the page: the same page narrowed to a phone's 390×844 (the window resized, as the zoom
    check below does; the layout is CSS and ResizeObservers, so it is the layout a phone opening the link
    gets — without a second load of the page): neither the document nor stMain scrolls sideways."""
    resize(desktop, **PHONE["viewport"])
    desktop.wait_for_function(APP_FIXED_JS)
    widths = desktop.evaluate(WIDTHS)
    assert max(widths.values()) <= 390, widths
    assert not desktop.js_errors, desktop.js_errors


# --- presenter mode on a 1280×720 projector --------------------------------------------------------


# Presenter mode as a teacher turns it on: the sidebar's toggle on the page just checked at the desk
# (no second load of the page; the URL gets present=1), then the page's key section scrolled to by
# static/live/section.js, as its `section=` link does (test_classroom.py lands every section link
# from the URL in presenter mode). The lesson opens at its KL step by its own link.
SECTION_JS = """async (name) => {
  const m = await import(new URL("app/static/live/section.js", location.href).href);
  m.mount({data: [{section: name}]});
}"""


@pytest.fixture(scope="module")
def presenter(desktop, contexts, app_url):
    info, lang = desktop.info, desktop.lang
    section = KEY_SECTIONS[info.url_path]
    if info is LESSON:
        page = open_view(contexts, f"{app_url}/{info.url_path}?lang={lang}&present=1&step={KL_STEP}", **PROJECTOR)
    else:
        page = desktop  # narrowed to a phone by the last desktop check: back to the projector's 1280×720
        page.context.new_cdp_session(page).send("Emulation.clearDeviceMetricsOverride")
        page.set_viewport_size(PROJECTOR["viewport"])
        page.wait_for_function("() => innerWidth === 1280 && innerHeight === 720")
        # a click event on the switch itself: the phone width folded the sidebar away, and it stays folded
        page.get_by_role("switch", name=catalogue(lang)["common.present"]).dispatch_event("click")
        page.wait_for_url(re.compile(r"[?&]present=1(&|$)"))
        wait_settled(page)
        if section:
            page.evaluate(SECTION_JS, section)
    page.info, page.lang, page.section = info, lang, section
    yield page
    if page is not desktop:
        page.close()


def test_presenter_mode_fits_a_key_chart_on_the_projector(presenter):
    """present=1 at 1280×720: no sidebar, and the page's key live view (at its section link) is whole
    on the screen — its controls and its chart together."""
    presenter.wait_for_function(PRESENT_JS)
    presenter.locator('[data-testid="stSidebar"]').wait_for(state="hidden")
    if presenter.section is not None:
        presenter.wait_for_function(INSIDE_JS, timeout=20_000)
    sizes = presenter.evaluate(
        "() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"] p')]"
        ".map((p) => parseFloat(getComputedStyle(p).fontSize))"
    )
    assert all(size >= 40 for size in sizes), sizes  # metric numbers large, readable from the back


# Found when the presenter sweep began to run axe at each page's key section (before, axe saw only the
# top of each page, where these views are below the screen and axe skips their colours and labels):
# open defects of the live views, listed here until fixed (strict: a fix makes the test say so).
KNOWN_PRESENTER_AXE: dict[str, str] = {}  # slug → reason, for a strict xfail (none known now)


def test_presenter_axe_finds_nothing_serious(request, presenter):
    if presenter.info.slug in KNOWN_PRESENTER_AXE:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_PRESENTER_AXE[presenter.info.slug], strict=True))
    problems = axe_problems(presenter, presenter.info.url_path)
    assert not problems, "\n".join(problems)


def test_presenter_plot_text_is_readable(presenter):
    assert presenter.evaluate(PLOT_TEXT, 18) == []


def test_nothing_is_truncated_at_150_percent_zoom_in_presenter_mode(presenter):
    """Last on the page: the projector zoomed to 150 % (853×480 CSS px at 1.5 device pixels per px,
    as the browser's zoom does it). No label, metric or note ends in "…" or is cut off by its box."""
    resize(presenter, width=853, height=480, scale=1.5)
    presenter.wait_for_function(APP_FIXED_JS)
    assert presenter.evaluate(TRUNCATED_JS) == []
