"""Chromium pages on the app: contexts shared per viewport and locale, and waits on the app's own signals.

Every context made here runs ``window.__LIVE_TEST__ = true`` before the page's scripts (the live views'
test instrumentation is on only then), and every page it opens carries a ``RunTracker`` that follows
the app's runs on the websocket. ``wait_settled`` waits on those runs and on the DOM, never on a quiet
period.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from harness.server import CHROMIUM_ARGS, chromium_path

LIVE_TEST_INIT = "window.__LIVE_TEST__ = true;"
# Frames of the app's websocket longer than this are deltas (charts, markdown, data), never the few
# bytes of a script_finished message: skip parsing them.
_SMALL_FRAME = 512


def launch(playwright):
    """Debian's Chromium (never a downloaded one), headless, with the flags of harness.server."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found (expected /usr/bin/chromium)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium() -> Iterator:
    """One headless Chromium via Playwright for a script or benchmark; closed (with Playwright) on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


class RunTracker:
    """The app's runs as its websocket tells them: each rerun the page asks for (a BackMsg
    ``rerun_script``: page load, widget, live-view release) and each run's end (a ForwardMsg
    ``script_finished``). The app is idle when the last run ended after the last request, and did not
    end early for another run (``st.rerun()``, or a request that interrupted it)."""

    def __init__(self, page) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._back, self._forward = BackMsg, ForwardMsg
        self.requested = 0  # rerun requests sent
        self.finished = 0  # runs ended (any status)
        self._event = 0  # a clock of websocket events: the request and the end compared by it
        self._last_request = 0
        self._last_end = 0
        self._ended_early = False
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = self._back()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a BackMsg: nothing to count
            return
        if msg.WhichOneof("type") == "rerun_script":
            self._event += 1
            self.requested += 1
            self._last_request = self._event

    def _received(self, payload) -> None:
        if isinstance(payload, str) or len(payload) > _SMALL_FRAME:
            return
        msg = self._forward()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001
            return
        if msg.WhichOneof("type") == "script_finished":
            self._event += 1
            self.finished += 1
            self._last_end = self._event
            self._ended_early = msg.script_finished == self._forward.FINISHED_EARLY_FOR_RERUN

    def idle(self) -> bool:
        if self.requested == 0:  # no request seen (a socket opened before tracking): the DOM decides
            return True
        return self._last_end > self._last_request and not self._ended_early

    def mark(self) -> int:
        return self._event


def track(page):
    """Give ``page`` its run tracker (``page.runs``) and a list of its uncaught errors (``page.js_errors``)."""
    if getattr(page, "runs", None) is None:
        page.runs = RunTracker(page)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
    return page


def new_context(browser, play_speed: float | None = None, **options):
    """A context whose pages run with the live views' test instrumentation on and are tracked.
    ``play_speed``: the live views' plays (static/live mc.js, timeline.js) run that many times faster
    (``window.__LIVE_PLAY_SPEED__``; tests only — benchmarks time plays at their real speed)."""
    context = browser.new_context(**options)
    context.add_init_script(LIVE_TEST_INIT + (f" window.__LIVE_PLAY_SPEED__ = {play_speed:g};" if play_speed else ""))
    context.on("page", track)
    return context


def new_page(context):
    """A tracked page of ``context`` (tracked before its first navigation)."""
    return track(context.new_page())


class ContextPool:
    """Browser contexts shared by every test that asks for the same options (viewport, locale, touch…):
    the HTTP and code caches of a context keep Streamlit's frontend compiled between page loads."""

    def __init__(self, browser, play_speed: float | None = None) -> None:
        self.browser = browser
        self.play_speed = play_speed
        self._contexts: dict[str, object] = {}

    def get(self, **options):
        key = repr(sorted(options.items()))
        if key not in self._contexts:
            self._contexts[key] = new_context(self.browser, play_speed=self.play_speed, **options)
        return self._contexts[key]

    def page(self, **options):
        return new_page(self.get(**options))

    def close(self) -> None:
        for context in self._contexts.values():
            with contextlib.suppress(Exception):
                context.close()
        self._contexts.clear()


# The DOM half of "settled": the script has stopped, no element is still a loading skeleton or a stale
# element of an earlier run (Streamlit fades those: axe then measured the faded captions' contrast), every
# plotly chart has drawn its SVG, every live view has mounted (plot.js mountOnce sets __liveView on
# its shadow root; the page-wide presenter and section components have no view) and drawn each of its
# visible charts once (Plot.draw sizes the canvas), and the web fonts have loaded.
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')) return false;
  if (document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) { if (!c.querySelector('.main-svg')) return false; }
  for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
    if (host.closest('.st-key-live_present, .st-key-live_section')) continue;
    const root = host.shadowRoot;
    if (!root || !root.__liveView) return false;
    for (const c of root.querySelectorAll('canvas.live-plot')) {
      if (!c.style.width && c.parentElement && c.parentElement.clientWidth >= 10) return false;
    }
  }
  return document.fonts.status === 'loaded';
}"""
NEXT_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


def at_rest(page, read, same=lambda a, b: a == b, frames: int = 60):
    """``read()`` once it gives the same value over one drawn frame (at most ``frames`` frames): a
    layout still settling after a run (a chart redrawn, a late view) moves boxes for a few frames, and
    a press or a measurement taken meanwhile lands at a stale place."""
    value = read()
    for _ in range(frames):
        page.evaluate(NEXT_FRAME_JS)
        again = read()
        if same(again, value):
            return again
        value = again
    return value


def wait_settled(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app has no run pending or going (the websocket's word, where the page is
    tracked) and the page shows the finished run (the DOM's word), then for one more frame drawn."""
    deadline = time.monotonic() + timeout_ms / 1000
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    runs = getattr(page, "runs", None)
    while True:
        mark = runs.mark() if runs else 0
        left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(SETTLED_JS, timeout=left_ms)
        if runs is None or (runs.idle() and runs.mark() == mark):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"the app did not finish its runs within {timeout_ms / 1000:g} s "
                f"({runs.requested} requested, {runs.finished} ended)"
            )
        page.wait_for_timeout(20)  # a poll: the socket's next event is delivered while Playwright waits
    page.evaluate(NEXT_FRAME_JS)


def full_screenshot(page, path: str | Path) -> None:
    """Screenshot the whole app: Streamlit scrolls inside its own container, so grow the viewport."""
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }"""
    )
    width = page.viewport_size["width"] if page.viewport_size else 1400
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 12_000)})
    page.evaluate(NEXT_FRAME_JS)  # the resize laid out and painted
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
