"""A shared link opened as the very first request of a freshly started server (a Cloud app
waking up) must get the full app — router, language, URL state — not Streamlit's legacy
`pages/` mode or a "Page not found" dialog."""

import pytest

from harness.browser import new_context, new_page, wait_settled
from harness.server import streamlit_server
from ui.i18n import catalogue
from ui.registry import page_at

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["reparameterization", "gaussian-kl"])
def test_deep_link_on_a_cold_server(chromium, path):
    with streamlit_server() as base:
        context = new_context(chromium, viewport={"width": 1400, "height": 900})
        page = new_page(context)
        try:
            page.goto(f"{base}/{path}?lang=zh")
            wait_settled(page)
            assert page.locator('[role="dialog"]').count() == 0, page.locator('[role="dialog"]').all_inner_texts()
            slug = page_at(path).slug
            heading = page.locator('[data-testid="stHeading"] h1').first.inner_text().strip()
            assert heading == catalogue("zh")[f"{slug}.title"]
            assert page.locator('[data-testid="stSidebar"] label').filter(has_text="English").count() == 1
        finally:
            context.close()
