"""Every page, in both languages, through Streamlit's AppTest: renders, is fully translated,
and survives garbage URL parameters with a warning instead of a traceback."""

import re

import pytest

from tests.apptest import assert_clean, english_words, open_page, rendered, visible_texts
from ui.i18n import catalogue
from ui.registry import HOME, built_pages

PAGES = [HOME, *built_pages()]
GARBAGE = ["abc", "nan", "inf", "-1", "0", "1e308", "", "<script>alert(1)</script>"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_page_renders(page, lang):
    at = rendered(page.file, lang)
    assert_clean(at)
    heading = at.title[0].value
    expected = catalogue(lang)["home.heading" if page is HOME else f"{page.slug}.title"]
    assert heading == expected
    assert at.query_params["lang"] == lang
    assert not at.warning, [w.value for w in at.warning]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_no_hard_coded_english_in_chinese(page):
    """Render zh: no visible string may carry English words (math and names excepted)."""
    at = rendered(page.file, "zh")
    leftovers = {(kind, text[:60]) for kind, text in visible_texts(at) if english_words(text)}
    assert not leftovers, sorted(leftovers)


def page_params(page) -> list[str]:
    """The URL parameters a page claims: it writes each of them on its first run."""
    return sorted(set(rendered(page.file, "en").query_params) - {"lang"})


@pytest.mark.parametrize("page", built_pages(), ids=lambda p: p.slug)
def test_page_mirrors_state_in_url(page):
    assert page_params(page), f"{page.file} writes no URL parameters"


@pytest.mark.parametrize("garbage", GARBAGE)
@pytest.mark.parametrize("page", built_pages(), ids=lambda p: p.slug)
def test_garbage_url_params(page, garbage):
    """All of a page's parameters set to one bad value at once: a warning, sane values, no crash."""
    names = page_params(page)
    at = open_page(page.file, "en", **dict.fromkeys(names, garbage))
    assert_clean(at)
    fixed = {name: at.query_params[name] for name in names}
    assert all(value != garbage or value in ("0", "-1") for value in fixed.values()), fixed
    for metric in at.metric:
        assert "nan" not in metric.value.lower() and "inf" not in metric.value.lower(), metric
    if garbage not in ("0", "-1"):  # 0 and -1 can be legitimate values for some parameters
        assert at.warning, f"no warning for {garbage!r}"
    for warning in at.warning:  # user text is only ever echoed inside inline code
        assert "<script>" not in re.sub(r"`[^`]*`", "", warning.value)


def test_bad_language_falls_back_with_warning():
    at = open_page(HOME.file, "fr")
    assert_clean(at)
    assert at.query_params["lang"] == "en"
    assert any("lang=fr" in w.value for w in at.warning)


def test_browser_locale_picks_chinese():
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.context["locale"] = "zh-CN"
    at.run()
    assert at.title[0].value == catalogue("zh")["home.heading"]
    assert at.query_params["lang"] == "zh"


@pytest.mark.parametrize("end", ["min", "max"])
@pytest.mark.parametrize("page", built_pages(), ids=lambda p: p.slug)
def test_every_slider_at_both_ends(page, end):
    """All sliders of a page at their minimum (or maximum) at once: every number stays finite."""
    at = open_page(page.file, "en")
    for slider in at.slider:
        slider.set_value(slider.min if end == "min" else slider.max)
    at.run()
    assert_clean(at)
    for metric in at.metric:
        text = metric.value.lower()
        assert "nan" not in text and "inf" not in text and "—" not in text, (metric.label, metric.value)


def test_home_cards_name_equations_ranges_and_sections_correctly():
    captions = {c.value for c in rendered("views/home.py", "en").caption}
    assert {"Covers eq. 1.4.11", "Covers eqs. 1.4.1–1.4.10", "Covers §1.4.2.2"} <= captions
    captions = {c.value for c in rendered("views/home.py", "zh").caption}
    assert {"对应式 1.4.11", "对应第 1.4.2.2 节"} <= captions
