"""Screenshots of a live class for the README: the teacher's projector (1280×720, presenter mode) with
the class's vote bars and after "Reveal for everyone", and a phone (390×844) following the class on the
lesson and on a full page scrolled to a section (its class bar docked at the bottom).

    python scripts/class_screenshots.py          # both languages; starts its own server; writes docs/screenshots/
    python scripts/class_screenshots.py zh       # one language

Seven other phones vote over the class's HTTP API (the same route a phone's page posts to), so the
bars show a split room. Needs Chromium at /usr/bin/chromium and Playwright (requirements-dev.txt).
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from harness.browser import launch, new_context, new_page, wait_settled  # noqa: E402
from harness.server import streamlit_server  # noqa: E402
from ui.lesson import STEPS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
STEP = 1 + [s.key for s in STEPS].index("jensen")  # E[log X] or log E[X]: a question that splits a room
OTHERS = [0, 0, 1, 1, 1, 1, 2]  # the other phones' answers


def vote(base: str, code: str, question: str, token: str, option: int) -> None:
    body = json.dumps({"token": token, "question": question, "round": 1, "option": option}).encode()
    request = urllib.request.Request(
        f"{base}/class/api/{code}/vote", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def shoot(browser, base: str, lang: str) -> None:
    teacher = new_page(new_context(browser, viewport={"width": 1280, "height": 720}, locale="en-US"))
    teacher.goto(f"{base}/lesson?lang={lang}&present=1&step={STEP}")
    wait_settled(teacher)
    teacher.locator(".st-key-lesson_class_start button").first.click()
    code = teacher.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000).strip()
    teacher.locator(".st-key-lesson_class_join_hide button").first.click()
    teacher.locator(f'[id="step-{STEP}"]').wait_for(timeout=30_000)
    wait_settled(teacher)

    phone = new_page(
        new_context(browser, viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True)
    )
    phone.goto(f"{base}/lesson?lang={lang}&class={code}")
    wait_settled(phone)
    phone.locator(f'[id="step-{STEP}"]').wait_for(timeout=30_000)
    phone.locator('[data-testid="live-class"] button[data-option="2"]').click()
    key = STEPS[STEP - 1].key
    for i, option in enumerate(OTHERS):
        vote(base, code, key, f"screenshot-phone-{i:04d}", option)
    teacher.get_by_test_id("live-class-answered").filter(has_text=re.compile(str(len(OTHERS) + 1))).wait_for()
    teacher.locator(".st-key-lesson_class_show button").first.click()
    wait_settled(teacher)
    teacher.locator('[data-testid="live-class-counts"]').wait_for()
    teacher.evaluate("() => window.scrollTo(0, 0)")
    teacher.screenshot(path=str(OUT / f"class_projector_{lang}.png"))

    phone.locator('[data-testid="live-class-counts"]').wait_for(timeout=30_000)  # the phones see the counts too
    phone.locator('[data-testid="live-class"]').scroll_into_view_if_needed()
    phone.screenshot(path=str(OUT / f"class_phone_{lang}.png"))

    teacher.locator(".st-key-lesson_class_reveal button").first.click()
    wait_settled(teacher)
    teacher.locator('[data-testid="live-class"]').first.wait_for()
    teacher.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-lesson_why [data-testid=\"stMarkdownContainer\"]')]"
        ".some((e) => e.getBoundingClientRect().bottom <= innerHeight)",
        timeout=45_000,
    )
    wait_settled(teacher)
    teacher.screenshot(path=str(OUT / f"class_projector_revealed_{lang}.png"))

    # the teacher opens the step's full page: the phone follows to its section, the class bar docked
    teacher.locator('[data-testid="stPageLink"] a').first.click()
    phone.wait_for_url(re.compile(r"section="), timeout=30_000)
    wait_settled(phone)
    phone.locator('[data-testid="live-class"] button[data-action]').wait_for(timeout=30_000)
    phone.wait_for_timeout(800)  # section.js's smooth scroll ends (a screenshot, not a test)
    phone.screenshot(path=str(OUT / f"class_phone_page_{lang}.png"))
    teacher.context.close()
    phone.context.close()


def main(langs: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as base, sync_playwright() as playwright:
        browser = launch(playwright)
        for lang in langs:
            shoot(browser, base, lang)
            print(f"class screenshots ({lang}) written to {OUT}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or ["en", "zh"])
