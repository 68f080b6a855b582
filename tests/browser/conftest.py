"""Fixtures for the browser tests: one `streamlit run app.py` and one Chromium per session.

Locally the tests skip (with the reason) when Chromium or Playwright is missing; under CI
(`CI=true`) they fail instead, so CI can never pass without really running them.
"""

import os

import pytest

from tests.browser.support import CHROMIUM_ARGS, ROOT, chromium_path, streamlit_server

SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server() as base:
        yield base


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.add_init_script("window.__LIVE_TEST__ = true")  # static/live/instrument.js: frame stats for tests
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
