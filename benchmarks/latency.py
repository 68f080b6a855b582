"""Slider → render latency in headless Chromium, per page, as a ratio to a trivial app.

One move = focus a slider's ``input[type=range]`` (a Streamlit slider or a live view's control;
for the latter the clock starts when the view reports the finished gesture), press ArrowRight (walking right, turning
left at the end of the range, so values are rarely revisited — a revisit could be served from
caches a real drag seldom hits), then wait until the app's script state is back to
``notRunning`` and the DOM has been quiet for ``quiet_ms``. Latency = time of the last DOM
mutation (or image load) − time of the keydown, both ``performance.now()`` in the page, so the
number includes the server rerun, the websocket, React and plotly drawing — what a student sees.

Targets are measured against the same ``benchmarks/apps/trivial.py`` served twice in the same
run: with Streamlit's defaults (the issue's "trivial app") and under the project config (the
"floor"). Every round moves each target once (A, B, C, A, B, C, …), so load from other
processes on the machine hits all of them alike.

    python -m benchmarks.latency --moves 20 --slider kl=2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from benchmarks.common import TRIVIAL_APP, chromium, cpu_seconds, log, median, p95, serve
from benchmarks.wsclient import StreamlitSession
from harness.browser import new_context, wait_settled
from ui.registry import built_pages

# Records the time of every DOM mutation and image load, the last keydown, and whether the
# script went through "running" since that keydown. Installed before the app's own scripts.
INSTRUMENT_JS = """
(() => {
  const b = window.__bench = {last: performance.now(), key: null, sawRun: false};
  const mark = () => { b.last = performance.now(); };
  // A rerun shows as a change of the app's script state or, when React batches a fast
  // running → notRunning into no visible change, as a websocket message after the keydown.
  new MutationObserver((records) => {
    mark();
    if (records.some((r) => r.attributeName === 'data-test-script-state')) b.sawRun = true;
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        b.lastMsg = performance.now();
        if (b.key !== null) b.sawRun = true;
      });
    }
  };
  document.addEventListener('keydown', () => { b.key = performance.now(); b.sawRun = false; },
                            true);
  document.addEventListener('load', (e) => { if (e.target && e.target.tagName === 'IMG') mark(); },
                            true);
})();
"""

DONE_JS = """(quiet) => {
  const b = window.__bench;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!b || b.key === null || !b.sawRun || !app) return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return performance.now() - b.last >= quiet;
}"""

# Streamlit's sliders and the live views' controls (ui/live): a live control redraws in the browser
# at once and reports when the keys rest, so its latency runs from that report (window.__liveRelease)
# to the settled page — the same span as a Streamlit slider's keypress → settled page.
SLIDERS = (
    '[data-testid="stMain"] [data-testid="stSlider"] input[type="range"], '
    '[data-testid="stMain"] .live-slider input[type="range"]'
)
DEFAULT_SLIDER = {}  # slug → index of the slider to move (0 = first on the page)


@dataclass
class Target:
    name: str  # table row label
    kind: str  # "default" | "floor" | "page"
    url: str
    slider: int = 0
    samples_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)  # send → script_finished, websocket client
    server_cpu_ms: float = float("nan")  # server CPU time per rerun (those websocket moves)
    server_kb: list[float] = field(default_factory=list)  # bytes the server sent per rerun / 1000
    pid: int = 0  # the server's process
    direction: int = 1  # +1: ArrowRight, −1: ArrowLeft
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # modals seen on opening (then closed)
    note: str = ""

    @property
    def median(self) -> float:
        return median(self.samples_ms)

    @property
    def p95(self) -> float:
        return p95(self.samples_ms)

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path_and_query(self) -> tuple[str, str]:
        parts = urlsplit(self.url)
        return parts.path.strip("/"), parts.query


async def _server_share(target: Target, moves: int) -> None:
    """The server's part of a move: send the slider change → script_finished (no rendering)."""
    path, query = target.path_and_query
    session = StreamlitSession(target.base, path, query)
    try:
        await session.load()
        sliders = session.main_sliders()
        if len(sliders) <= target.slider:
            return
        slider = sliders[target.slider]
        cpu0, direction = 0.0, 1
        for step in range(moves + 1):
            if step == 1:
                cpu0 = cpu_seconds(target.pid)
            if not slider.min <= slider.value + direction * slider.step <= slider.max:
                direction = -direction  # walk one way, turn at the ends (see _move)
            value = slider.snapped(slider.value + direction * slider.step)
            run = await session.rerun(slider, value)
            slider = session.sliders.get(slider.key, slider)
            if step and not run.errors:
                target.server_ms.append(run.elapsed_ms)
                target.server_kb.append(run.bytes_received / 1000)
        if moves:
            target.server_cpu_ms = 1000 * (cpu_seconds(target.pid) - cpu0) / moves
    finally:
        await session.close()


def _open(browser, target: Target, timeout_ms: float):
    context = new_context(browser, viewport={"width": 1400, "height": 900}, locale="en-US")
    context.add_init_script(INSTRUMENT_JS)
    page = context.new_page()
    page.on("pageerror", lambda exc: target.errors.append(f"js: {exc}"))
    page.goto(target.url)
    wait_settled(page, timeout_ms=max(timeout_ms, 90_000))
    for text in dismiss_dialogs(page):
        target.dialogs.append(text)
    return context, page


def dismiss_dialogs(page) -> list[str]:
    """Close any modal (it would take the keyboard focus); return the titles it showed."""
    seen = []
    dialogs = page.locator('[role="dialog"]')
    for _ in range(3):
        if not dialogs.count():
            break
        seen.append(dialogs.first.inner_text().split("\n", 1)[0].strip())
        close = dialogs.first.locator('button[aria-label="Close"]')
        if close.count():
            close.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)
    return seen


def _move(page, target: Target, step: int, quiet_ms: int, timeout_ms: float) -> float | None:
    sliders = page.locator(SLIDERS)
    if sliders.count() <= target.slider:
        target.note = f"no slider #{target.slider}"
        return None
    thumb = sliders.nth(target.slider)
    thumb.focus()
    # Walk one way and turn at the ends, so moves rarely revisit a value (a revisit can be
    # served from st.cache_data and Streamlit's message cache, which a drag seldom gets).
    at = thumb.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
    if at[0] >= at[2]:
        target.direction = -1
    elif at[0] <= at[1]:
        target.direction = 1
    thumb.press("ArrowRight" if target.direction > 0 else "ArrowLeft")
    page.wait_for_function(DONE_JS, arg=quiet_ms, timeout=timeout_ms, polling=50)
    elapsed = page.evaluate("() => window.__bench.last - Math.max(window.__bench.key, window.__liveRelease || 0)")
    if page.locator('[data-testid="stException"]').count():
        target.errors.append(f"move {step}: exception on page")
    return float(elapsed)


def measure(
    browser,
    targets: list[Target],
    moves: int,
    warmup: int = 2,
    quiet_ms: int = 400,
    timeout_ms: float = 15_000,
    log=log,
) -> list[Target]:
    """Interleave `moves` measured moves (after `warmup` unmeasured ones) over all targets."""
    opened = []
    try:
        for target in targets:
            try:
                opened.append((target, *_open(browser, target, timeout_ms)))
            except Exception as exc:  # noqa: BLE001 - one broken page must not stop the others
                target.errors.append(f"open: {exc!s:.200}")
        for step in range(warmup + moves):
            for target, _context, page in opened:
                if target.note:
                    continue
                try:
                    elapsed = _move(page, target, step, quiet_ms, timeout_ms)
                except Exception as exc:  # noqa: BLE001
                    target.errors.append(f"move {step}: {exc!s:.200}")
                    continue
                if elapsed is not None and step >= warmup:
                    target.samples_ms.append(elapsed)
            if step >= warmup and (step - warmup + 1) % 10 == 0:
                log(f"  latency: {step - warmup + 1}/{moves} rounds")
    finally:
        for _target, context, _page in opened:
            with contextlib.suppress(Exception):
                context.close()
    return targets


def run(
    moves: int = 20,
    sliders: dict[str, int] | None = None,
    quiet_ms: int = 400,
    warmup: int = 2,
    log=log,
    pages: list[str] | None = None,
) -> dict:
    """Start the three servers, measure every built page (or only ``pages``, by slug) and both trivial references."""
    sliders = {**DEFAULT_SLIDER, **(sliders or {})}
    trivial = str(TRIVIAL_APP.relative_to(TRIVIAL_APP.parents[2]))
    with (
        serve(trivial, defaults=True) as default_app,
        serve(trivial) as floor_app,
        serve("app.py") as app,
    ):
        targets = [
            Target("trivial app, Streamlit defaults", "default", default_app.base, pid=default_app.pid),
            Target("trivial app, project config (floor)", "floor", floor_app.base, pid=floor_app.pid),
        ]
        for info in built_pages():
            if pages and info.slug not in pages:
                continue
            targets.append(
                Target(
                    info.slug,
                    "page",
                    f"{app.base}/{info.url_path}?lang=en",
                    slider=sliders.get(info.slug, 0),
                    pid=app.pid,
                )
            )
        log(f"latency: {len(targets)} targets × {moves} moves in Chromium")
        with chromium() as browser:
            measure(browser, targets, moves, warmup=warmup, quiet_ms=quiet_ms, log=log)
        log("latency: server share (websocket client)")
        for target in targets:
            try:
                asyncio.run(_server_share(target, moves))
            except Exception as exc:  # noqa: BLE001
                target.errors.append(f"server share: {exc!s:.200}")
        for target, server in zip(targets, [default_app, floor_app, *[app] * (len(targets) - 2)], strict=True):
            target.errors += [f"server log: {e}" for e in server.new_log_errors()]
    return {"moves": moves, "quiet_ms": quiet_ms, "targets": [asdict(t) for t in targets]}


def parse_sliders(items: list[str]) -> dict[str, int]:
    """['kl=2', 'mc=0'] → {'kl': 2, 'mc': 0}."""
    out = {}
    for item in items:
        slug, _, index = item.partition("=")
        out[slug.strip()] = int(index)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--quiet-ms", type=int, default=400)
    parser.add_argument(
        "--slider",
        action="append",
        default=[],
        metavar="SLUG=INDEX",
        help="which slider to move on a page (0 = first in the main area)",
    )
    parser.add_argument("--pages", nargs="*", default=None, help="page slugs (default: every built page)")
    args = parser.parse_args(argv)
    result = run(args.moves, parse_sliders(args.slider), args.quiet_ms, log=log, pages=args.pages)
    for t in result["targets"]:
        print(
            json.dumps({k: t[k] for k in ("name", "errors", "dialogs", "note")}, ensure_ascii=False),
            f"median={median(t['samples_ms']):.1f} p95={p95(t['samples_ms']):.1f}",
            f"server median={median(t['server_ms']):.1f}",
            f"KB/rerun={median(t['server_kb']):.1f}" if t["server_kb"] else "",
        )


if __name__ == "__main__":
    main()
