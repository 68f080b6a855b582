"""Bytes the server sends per rerun on /latent: one z move + release, counted in Chromium.

    python -m benchmarks.latent_bytes [--moves 4]

Opens /latent?lang=en at 1280 × 720, waits until it has settled (and, with the live pad, until the
model has loaded in the browser), then makes ``--moves`` z moves: a 20-step drag on the live pad
and release, or — on a page without the pad (before issue 11) — ArrowRight on the first slider.
For each move: websocket frames and bytes received, HTTP bytes fetched (e.g. /media images), frames
sent during the drag and in all. Prints one JSON object per move (docs/benchmarks.md, "Bytes per
rerun, /latent").
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import log
from harness.browser import launch, new_context, new_page, wait_settled
from harness.server import streamlit_server

MODEL_READY = """() => { const s = (window.__liveStats || {}).latent;
                         return !!s && [...s.signatures].some((x) => x !== "loading"); }"""
SLIDER = '[data-testid="stMain"] [data-testid="stSlider"] input[type=range]'


def listen(page) -> tuple[list, list, list]:
    """Lists that fill with received / sent websocket frame sizes and (url, bytes) of HTTP responses."""
    received, sent, http = [], [], []
    page.on(
        "websocket",
        lambda ws: (
            ws.on("framereceived", lambda f: received.append(len(f))),
            ws.on("framesent", lambda f: sent.append(len(f))),
        ),
    )

    def on_response(response) -> None:
        try:
            http.append((response.url, len(response.body())))
        except Exception:  # a redirect or an aborted request has no body
            http.append((response.url, 0))

    page.on("response", on_response)
    return received, sent, http


def run(base: str, moves: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = new_page(new_context(browser, viewport={"width": 1280, "height": 720}))
            received, sent, http = listen(page)
            page.goto(f"{base}/latent?lang=en")
            wait_settled(page, timeout_ms=240_000)
            pad = page.locator("canvas.live-pad")
            live = pad.count() > 0
            if live:
                page.wait_for_function(MODEL_READY, timeout=120_000)
            target = pad if live else page.locator(SLIDER).first
            target.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            for i in range(moves):
                marks = len(received), len(sent), len(http)
                during = 0
                if live:
                    box = pad.bounding_box()
                    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                    page.mouse.move(x, y)
                    page.mouse.down()
                    for k in range(20):
                        page.mouse.move(x + 3 * k + 7 * i, y - 2 * k)
                    during = len(sent) - marks[1]
                    page.mouse.up()
                else:
                    target.focus()
                    target.press("ArrowRight")
                page.wait_for_timeout(300)
                wait_settled(page, timeout_ms=60_000)
                page.wait_for_timeout(500)
                out.append(
                    {
                        "move": i,
                        "gesture": "pad drag + release" if live else "slider ArrowRight",
                        "ws_frames": len(received) - marks[0],
                        "ws_bytes": sum(received[marks[0] :]),
                        "http_bytes": sum(b for _, b in http[marks[2] :]),
                        "http": [url.rsplit("/", 1)[-1] for url, _ in http[marks[2] :]],
                        "sent_during_gesture": during,
                        "sent": len(sent) - marks[1],
                    }
                )
        finally:
            browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=4)
    args = parser.parse_args()
    with streamlit_server() as base:
        log(f"server at {base}")
        for row in run(base, args.moves):
            print(json.dumps(row))


if __name__ == "__main__":
    main()
