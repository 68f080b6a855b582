"""Screenshots of the live views for the README, taken DURING a drag (or a stroke, or a play).

    python scripts/readme_screenshots.py            # starts its own server; writes docs/screenshots/
    python scripts/readme_screenshots.py live_kl_en.png   # only the files named

Needs Chromium at /usr/bin/chromium and Playwright (requirements-dev.txt).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from harness.browser import launch, new_context, new_page, wait_settled  # noqa: E402
from harness.server import streamlit_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP, PHONE = (1280, 720), (390, 844)

# (file, path, viewport, what to press, gesture): "range" sweeps a slider, "pad" circles on a pad,
# "stroke" draws a 2 on the drawing pad
SHOTS = [
    ("live_kl_en.png", "gaussian-kl?lang=en", DESKTOP, 'input[data-name="mu2"]', "range"),
    ("live_kl_zh_phone.png", "gaussian-kl?lang=zh", PHONE, 'input[data-name="sigma2"]', "range"),
    ("live_elbo_zh.png", "elbo?lang=zh", DESKTOP, 'input[data-name="qmu"]', "range"),
    ("live_reparam_en.png", "reparameterization?lang=en", DESKTOP, 'input[data-name="mu"]', "range"),
    ("live_latent_en.png", "latent?lang=en", DESKTOP, "canvas.live-pad", "pad"),
    ("live_latent_zh_phone.png", "latent?lang=zh", PHONE, "canvas.live-pad", "pad"),
    ("live_draw_en.png", "draw?lang=en", DESKTOP, "canvas.draw-pad", "stroke"),
    ("live_draw_phone_zh.png", "draw?lang=zh", PHONE, "canvas.draw-pad", "stroke"),
    ("live_training_en.png", "training?lang=en", DESKTOP, 'input[data-name="epoch"]', "range"),
]


def gesture(page, selector: str, kind: str) -> None:
    """Press, move, and stay pressed: the screenshot is taken mid-gesture."""
    target = page.locator(selector).first
    target.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(400)
    box = target.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if kind == "range":
        points = [(box["x"] + 9 + (box["width"] - 18) * (0.5 + 0.3 * math.sin(i / 8)), cy) for i in range(14)]
    elif kind == "pad":
        r = 0.3 * min(box["width"], box["height"])
        points = [(cx + r * math.cos(i / 6), cy + r * math.sin(i / 6)) for i in range(14)]
    else:  # a "2": an arc, a diagonal, a base line
        s = 0.32 * min(box["width"], box["height"])
        arc = [
            (cx + s * math.cos(math.pi * (1 - t / 10)), cy - s * 0.6 - s * 0.5 * math.sin(math.pi * t / 10))
            for t in range(11)
        ]
        points = arc + [(cx - s, cy + s), (cx + s, cy + s)]
        if kind == "stroke":
            page.locator("button.draw-clear").click()
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=4)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as base, sync_playwright() as p:
        browser = launch(p)
        wanted = set(sys.argv[1:])
        for name, path, (w, h), selector, kind in SHOTS:
            if wanted and name not in wanted:
                continue
            context = new_context(browser, viewport={"width": w, "height": h}, device_scale_factor=1)
            page = new_page(context)
            page.goto(f"{base}/{path}")
            wait_settled(page)
            page.wait_for_timeout(1500)
            gesture(page, selector, kind)
            page.wait_for_timeout(200)
            page.screenshot(path=str(OUT / name))
            page.mouse.up()
            context.close()
            print("wrote", OUT / name)
        browser.close()


if __name__ == "__main__":
    main()
