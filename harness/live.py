"""Helpers for testing live views in Chromium: call a static/live module's functions in the page,
count what the browser sends to the server, drag a live control while sampling the page."""

from __future__ import annotations

import math
import time

from harness.browser import at_rest

LIVE_FRAMES_JS = "(name) => { const s = (window.__liveStats || {})[name]; return s ? s.frames : 0; }"


def call_js(page, module: str, function: str, rows: list) -> list:
    """``[module.function(*row) for row in rows]`` evaluated in the page (static/live/<module>.js)."""
    return page.evaluate(
        """async ([module, fn, rows]) => {
             const m = await import(new URL(`app/static/live/${module}.js`, window.location.href).href);
             return rows.map((row) => m[fn](...row));
           }""",
        [module, function, rows],
    )


class SentFrames:
    """Counts the websocket frames the page sends (each rerun request is one; nothing else is sent
    while a page sits idle). Create it before ``page.goto``; ``since(mark)`` counts after a mark."""

    def __init__(self, page) -> None:
        self.times: list[float] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda _: self.times.append(time.monotonic())))

    def mark(self) -> int:
        return len(self.times)

    def since(self, mark: int) -> int:
        return len(self.times) - mark


def drag_range(page, selector: str, read, fractions: list[float]) -> list[str]:
    """Press on the range input ``selector`` at fractions[0] of its width, move through the other
    fractions (holding the button), and return ``read()`` sampled after each move. The button is
    still down when this returns: the caller releases it with ``page.mouse.up()``."""
    control = page.locator(selector).first
    control.scroll_into_view_if_needed()
    box = at_rest(page, control.bounding_box)  # a press at a stale place missed it once on a loaded run
    y = box["y"] + box["height"] / 2
    x = [box["x"] + 9 + f * (box["width"] - 18) for f in fractions]
    page.mouse.move(x[0], y)
    page.mouse.down()
    seen = []
    for xi in x[1:]:
        page.mouse.move(xi, y, steps=2)
        seen.append(read())
    return seen


def sweep(n: int) -> list[float]:
    """Fractions for a smooth back-and-forth drag: 0.5 → 0.95 → 0.05 → 0.5 over n moves."""
    return [0.5 + 0.45 * math.sin(2 * math.pi * i / (n - 1)) for i in range(n)]
