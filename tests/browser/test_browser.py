"""Real-browser tests of the interactions AppTest cannot see: URL rewriting, the language switch,
navigation (every page in both languages and every mode: test_every_page.py)."""

import re

import pytest

from harness.browser import wait_settled
from ui.i18n import catalogue

pytestmark = pytest.mark.browser


def heading(page) -> str:
    return page.locator('[data-testid="stHeading"] h1').first.inner_text().strip()


def test_language_switch_rewrites_page_and_url(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?lang=en&mu1=0.5")
    wait_settled(page)
    page.locator('[data-testid="stSidebar"] label').filter(has_text="中文").click()
    page.wait_for_url(re.compile(r"lang=zh"))
    wait_settled(page)
    assert heading(page) == catalogue("zh")["gaussian_kl.title"]
    assert "mu1=0.5" in page.url  # the view survives the switch


def test_shared_link_reproduces_kl_view(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?mu1=0.5&sigma1=0.7&mu2=-1&sigma2=2&lang=en")
    wait_settled(page)
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert values[:2] == ["0.8923", "4.8277"]  # KL(p‖q), KL(q‖p) by the closed form
    for fragment in ("mu1=0.5", "sigma1=0.7", "mu2=-1", "sigma2=2", "lang=en"):
        assert fragment in page.url


def test_navigation_keeps_language(page, app_url):
    page.goto(f"{app_url}/?lang=zh")
    wait_settled(page)
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=catalogue("zh")["gaussian_kl.title"]).click()
    page.wait_for_url(re.compile(r"/gaussian-kl"))
    wait_settled(page)
    assert heading(page) == catalogue("zh")["gaussian_kl.title"]
    assert "lang=zh" in page.url


def test_garbage_link_warns_in_browser(page, app_url):
    page.goto(f"{app_url}/gaussian-kl?lang=en&mu1=abc&sigma1=-3&sigma2=1e308")
    wait_settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentWarning"]').count() >= 1
    assert "sigma1=0.1" in page.url and "sigma2=5" in page.url and "mu1=0" in page.url
