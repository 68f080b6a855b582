"""Fixtures for the browser tests: one `streamlit run app.py`, one Chromium and one browser context per
set of options (viewport, locale, touch…) per session; the logic lives in the harness package.

Locally the tests skip (with the reason) when Chromium or Playwright is missing; under CI
(`CI=true`) they fail instead, so CI can never pass without really running them.
"""

import os

import pytest

from harness.browser import ContextPool, launch, wait_settled
from harness.server import ROOT, chromium_path, streamlit_server

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The contexts' options, named once: every test asking for the same options shares one context.
DESKTOP = {"viewport": {"width": 1400, "height": 900}, "locale": "en-US"}
PROJECTOR = {"viewport": {"width": 1280, "height": 720}, "locale": "en-US"}
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}
PHONE_TOUCH = {**PHONE, "has_touch": True, "is_mobile": True}
# The Monte Carlo and training plays run 4× faster in tests (4 s → 1 s, 10 s → 2.5 s): the tests
# assert where a play ends and that it animated; its real speed is benchmarks/live_frames.py's.
PLAY_SPEED = 4


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
    if chromium_path() is None:
        _unavailable("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def contexts(chromium):
    """Shared browser contexts: ``contexts.page(**options)`` opens a fresh page in the one context
    for those options (Streamlit's frontend stays cached and compiled between tests); plays sped up."""
    pool = ContextPool(chromium, play_speed=PLAY_SPEED)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def app_url():
    with streamlit_server() as base:
        yield base


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """`python -m deploy.serve --replicas 2` serving app.py (HAProxy, Redis, two replicas), started once
    for the session and shared by the tests that need replicas → (HAProxy's port, the status file).
    A test may SIGKILL a replica: the launcher restarts it."""
    from tests.test_deploy import launcher

    with launcher(tmp_path_factory.mktemp("cluster"), replicas=2, script="app.py") as (_, port, status):
        yield port, status


@pytest.fixture
def page(contexts):
    """A fresh desktop page (1400×900, en-US) with ``page.js_errors`` and ``page.runs``."""
    page = contexts.page(**DESKTOP)
    yield page
    page.close()


@pytest.fixture(scope="session")
def light_page(contexts, app_url):
    """One light page (home, English) for the parity tests: they only import static/live modules
    from the app and call them, so they share it."""
    page = contexts.page(**DESKTOP)
    page.goto(f"{app_url}/?lang=en")
    wait_settled(page)
    yield page
    page.close()


@pytest.fixture(scope="session")
def browser_model():
    """The network the browser runs: the shipped VAE with static/model's rounded weights (int8 rows,
    vae_core.export_browser.rounded_model). The server's own model (the ``model`` fixture) stays float32."""
    from vae_core.export_browser import rounded_model

    return rounded_model(ROOT / "static" / "model")
