"""Live frames: how smoothly each live view redraws during a scripted 2-second drag in Chromium.

For every live view (ui/live, static/live) this drags its main control — a range input, or a pad
canvas — back and forth for ``seconds`` with ``page.mouse`` (or presses its play button), and
reads the view's own draw timestamps (``window.__liveStats[name].times``, recorded by plot.js at
every frame it draws). It reports the frame interval (median, p95), the number of distinct
pictures (each render's signature, e.g. the main readout or a hash of the decoded digit), the
websocket frames the page sent during the drag (each rerun request is one: the goal is 0) and
after the release (the one settling rerun).

    python -m benchmarks.live_frames --seconds 2
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, field

from benchmarks.common import chromium, log, median, p95, serve
from harness.browser import new_context, wait_settled


@dataclass
class LiveView:
    name: str  # window.__liveStats key
    path: str  # page URL path and query
    selector: str  # what the drag presses on
    kind: str = "range"  # "range": a horizontal drag; "pad": a circle on a 2-D pad; "play": click and wait
    viewport: tuple[int, int] = (1280, 720)
    seconds: float | None = None  # this view's own duration (a play that must run to its end)
    done: str | None = None  # a play: the selector that appears at its end (timed from the click)
    budget: tuple[float, float] | None = None  # a play's budget: (at most seconds, at least frames per second)


VIEWS = [
    LiveView("kl", "gaussian-kl?lang=en", 'input[data-name="mu2"]'),
    LiveView("kl_landscape", "gaussian-kl?lang=en", 'input[data-name="mu1"]'),  # follows the KL view's drag
    LiveView("jensen", "elbo?lang=en", 'input[data-name="lam"]'),
    LiveView("ledger", "elbo?lang=en", 'input[data-name="qmu"]'),
    LiveView("reparam", "reparameterization?lang=en", 'input[data-name="mu"]'),
    LiveView("mc", "monte-carlo?lang=en", 'input[data-name="n"]'),
    # moved here from tests/browser/test_live_mc.py: play reaches L = 100,000 with 50 runs in ≤ 5 s at ≥ 30 fps
    LiveView(
        "mc",
        "monte-carlo?lang=en&L=100000&runs=50",
        "button.live-play",
        kind="play",
        seconds=10.0,
        done="canvas.live-plot[data-state*='\"n\":100000,']",
        budget=(5.0, 30.0),
    ),
    LiveView("latent", "latent?lang=en", "canvas.live-pad", kind="pad"),
    LiveView("latent_path", "latent?lang=en", "button.latent-play", kind="play"),
    LiveView("draw", "draw?lang=en", "canvas.draw-pad", kind="pad"),
    LiveView("timeline", "training?lang=en", 'input[data-name="epoch"]'),
    LiveView("noise", "diffusion?lang=en&section=noise", 'input[data-name="t"]'),
    # the DDPM's 1000 exact reverse steps in the browser (benchmarks/ddpm_browser.py: the same on a ×4 throttled CPU)
    LiveView(
        "ddpm",
        "diffusion?lang=en&section=draw",
        "button.ddpm-play",
        kind="play",
        seconds=60.0,
        done="div.live-figure[data-state*='\"guessed\":1,']",
    ),
]


@dataclass
class Result:
    name: str
    viewport: str
    kind: str = "range"
    frames: int = 0
    distinct: int = 0
    intervals_ms: list[float] = field(default_factory=list)
    sent_during: int = 0
    sent_after: int = 0
    seconds: float = 0.0
    budget: tuple[float, float] | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return median(self.intervals_ms)

    @property
    def p95(self) -> float:
        return p95(self.intervals_ms)


STATS_JS = """(name) => {
  const s = (window.__liveStats || {})[name];
  return s ? {frames: s.frames, times: s.times.slice(), signatures: s.signatures.size} : null;
}"""


def _path(view: LiveView, box: dict, t: float) -> tuple[float, float]:
    """Where the pointer is ``t`` ∈ [0, 1] into the drag: a sweep across a range input, a circle on a pad."""
    if view.kind == "pad":
        r = 0.35 * min(box["width"], box["height"])
        a = 2 * math.pi * t
        return box["x"] + box["width"] / 2 + r * math.cos(a), box["y"] + box["height"] / 2 + r * math.sin(a)
    f = 0.5 + 0.45 * math.sin(2 * math.pi * t)
    return box["x"] + 9 + f * (box["width"] - 18), box["y"] + box["height"] / 2


def measure(browser, base: str, view: LiveView, seconds: float) -> Result:
    result = Result(view.name, f"{view.viewport[0]}×{view.viewport[1]}", view.kind, budget=view.budget)
    seconds = view.seconds or seconds
    context = new_context(browser, viewport={"width": view.viewport[0], "height": view.viewport[1]}, locale="en-US")
    context.add_init_script("window.__LIVE_TEST__ = true")  # static/live/instrument.js: the frame times read below
    page = context.new_page()
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.monotonic())))
    page.on("pageerror", lambda exc: result.errors.append(str(exc)[:200]))
    try:
        page.goto(f"{base}/{view.path}")
        wait_settled(page)
        target = page.locator(view.selector).first
        target.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        before = page.evaluate(STATS_JS, view.name) or {"frames": 0, "times": [], "signatures": 0}
        mark = len(sent)
        t0 = page.evaluate("() => performance.now()")
        if view.kind == "play":
            target.click()
            if view.done:
                page.locator(view.done).first.wait_for(state="attached", timeout=int(seconds * 1000))
            else:
                page.wait_for_timeout(int(seconds * 1000))
        else:
            box = target.bounding_box()
            page.mouse.move(*_path(view, box, 0.0))
            page.mouse.down()
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < seconds:
                # several pointer events per Python round trip: the driver, not the page, would
                # otherwise set the pace
                page.mouse.move(*_path(view, box, elapsed / seconds), steps=4)
            result.sent_during = len(sent) - mark
            page.mouse.up()
        t1 = page.evaluate("() => performance.now()")
        if view.kind == "play":
            result.sent_during = len(sent) - mark
        page.wait_for_timeout(1500)
        wait_settled(page)
        result.sent_after = len(sent) - mark - result.sent_during
        after = page.evaluate(STATS_JS, view.name) or {"frames": 0, "times": [], "signatures": 0}
        times = [x for x in after["times"] if t0 <= x <= t1]
        result.frames = len(times)
        result.distinct = after["signatures"] - before["signatures"]
        result.intervals_ms = [round(b - a, 2) for a, b in zip(times, times[1:], strict=False)]
        result.seconds = round((t1 - t0) / 1000, 2)
    except Exception as exc:  # noqa: BLE001 - one broken view must not stop the others
        result.errors.append(f"{exc!s:.200}")
    finally:
        context.close()
    return result


def run(seconds: float = 2.0, only: list[str] | None = None, log=log) -> dict:
    views = [v for v in VIEWS if not only or v.name in only]
    results = []
    with serve("app.py") as app, chromium() as browser:
        for view in views:
            for size in (view.viewport, (390, 844)):
                log(f"live frames: {view.name} at {size[0]}×{size[1]}")
                results.append(measure(browser, app.base, LiveView(**{**asdict(view), "viewport": size}), seconds))
    return {"seconds": seconds, "results": [{**asdict(r), "median": r.median, "p95": r.p95} for r in results]}


def play_verdict(r: dict) -> str:
    """A play with a budget: its time to the end and frame rate against (at most s, at least fps)."""
    if not r.get("budget") or not r["seconds"]:
        return ""
    most_s, least_fps = r["budget"]
    fps = r["frames"] / r["seconds"]
    ok = r["seconds"] <= most_s and fps >= least_fps
    return f" {r['seconds']:.2f} s, {fps:.0f} fps (budget ≤ {most_s:g} s, ≥ {least_fps:g} fps) {'✅' if ok else '❌'}"


def table(result: dict) -> str:
    rows = [
        "| live view | gesture | window | frames | distinct pictures | frame interval median / p95 (ms) "
        "| reruns during drag | after release |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["results"]:
        note = f" ⚠ {r['errors'][0]}" if r["errors"] else ""
        rows.append(
            f"| {r['name']} | {r['kind']}{play_verdict(r)} | {r['viewport']} | {r['frames']} | "
            f"{r['distinct']} | {r['median']:.1f} / {r['p95']:.1f} | {r['sent_during']} | "
            f"{r['sent_after']}{note} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--only", action="append", default=[], help="a live view's name (repeatable)")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.only or None)
    print(table(result))
    print(json.dumps(result)[:2000])


if __name__ == "__main__":
    main()
