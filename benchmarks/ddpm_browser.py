"""A full DDPM sample (T = 1000 exact reverse steps) in headless Chromium, on a phone-class CPU.

    python -m benchmarks.ddpm_browser [--rates 1 4] [--viewport 390x844]

Opens /diffusion?section=draw (390 × 844 by default) once per CPU throttling rate (CDP
``Emulation.setCPUThrottlingRate``: 4 = a CPU four times slower, Chrome DevTools' "mid-tier mobile";
rate 1 is the same machine unthrottled, the baseline of the same run), presses play and waits for
the view's end (static/live/ddpm.js marks it in ``data-state``). Reports ms per network step
(median, p95), the total from the click to the last step (including the 1.1 MB weights' fetch and
decode, given apart), and the page's frame intervals while playing: the view runs as many exact steps
per frame as fit in 10 ms, then yields, so the longest interval says whether the page stalled.
Numbers are this machine's under its current load: compare rates within one run (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os

from benchmarks.common import fmt, log, markdown_table, median, p95, serve
from harness.browser import chromium, new_context, new_page, wait_settled

DONE = "div.live-figure[data-state*='\"guessed\":1,']"


def measure(browser, base: str, rate: float, viewport: tuple[int, int]) -> dict:
    context = new_context(browser, viewport={"width": viewport[0], "height": viewport[1]})
    context.add_init_script("window.__LIVE_TEST__ = true")
    try:
        page = new_page(context)
        page.goto(f"{base}/diffusion?lang=en&section=draw")
        wait_settled(page, timeout_ms=240_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.evaluate("window.__ddpmClick = performance.now()")
        page.locator("button.ddpm-play").click()
        page.locator(DONE).wait_for(state="attached", timeout=600_000)
        out = page.evaluate(
            """() => {
                 const steps = window.__ddpmSteps || [];
                 const frames = (window.__liveStats || {}).ddpm || { times: [] };
                 const res = performance.getEntriesByType("resource").find((e) => e.name.includes("ddpm_q8.bin"));
                 return { steps, frames: frames.times, click: window.__ddpmClick, now: performance.now(),
                          first: window.__ddpmFirstStep,
                          fetchMs: res ? res.responseEnd - res.startTime : null };
               }"""
        )
        state = json.loads(page.locator("div.live-figure[data-state]").last.get_attribute("data-state"))
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    finally:
        context.close()
    steps = out["steps"]
    # the frames drawn while the chain ran: from its first step to the end (before it: the weights' fetch)
    times = [t for t in out["frames"] if t >= out["first"]]
    intervals = [b - a for a, b in zip(times, times[1:], strict=False)]
    return {
        "rate": rate,
        "viewport": f"{viewport[0]}×{viewport[1]}",
        "steps": len(steps),
        "end_t": state["t"],
        "step_ms_median": median(steps),
        "step_ms_p95": p95(steps),
        "compute_s": sum(steps) / 1000,
        "total_s": (out["now"] - out["click"]) / 1000,
        "fetch_ms": out["fetchMs"],
        "first_step_s": (out["first"] - out["click"]) / 1000,
        "frames": len(times),
        "frame_ms_median": median(intervals) if intervals else None,
        "frame_ms_p95": p95(intervals) if intervals else None,
        "frame_ms_max": max(intervals) if intervals else None,
    }


def run(rates=(1.0, 4.0), viewport=(390, 844), log=log) -> dict:
    results = []
    with serve("app.py") as app, chromium() as browser:
        for rate in rates:
            log(f"ddpm browser: CPU throttling ×{rate:g}")
            results.append(measure(browser, app.base, rate, viewport))
    load = os.getloadavg()
    return {"results": results, "loadavg": [round(x, 2) for x in load]}


def table(result: dict) -> str:
    rows = []
    base = result["results"][0]
    for r in result["results"]:
        rows.append(
            [
                f"×{r['rate']:g}",
                r["viewport"],
                f"{r['steps']} (to t = {r['end_t']})",
                f"{fmt(r['step_ms_median'], 2)} / {fmt(r['step_ms_p95'], 2)}",
                fmt(r["step_ms_median"] / base["step_ms_median"], 1) + "×",
                fmt(r["total_s"], 1),
                f"{fmt(r['fetch_ms'], 0)} / {fmt(1000 * r['first_step_s'], 0)}",
                f"{fmt(r['frame_ms_median'], 0)} / {fmt(r['frame_ms_p95'], 0)} / {fmt(r['frame_ms_max'], 0)}",
            ]
        )
    header = [
        "CPU throttling",
        "window",
        "exact steps",
        "ms per step, median / p95",
        "vs ×1",
        "click → end (s)",
        "weights fetch / click → first step (ms)",
        "frame interval while stepping, median / p95 / max (ms)",
    ]
    return markdown_table(header, rows) + f"\n\nload average at the end: {result['loadavg']}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[1.0, 4.0])
    parser.add_argument("--viewport", default="390x844")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.viewport.split("x"))
    result = run(tuple(args.rates), (w, h))
    print(json.dumps(result, indent=1) if args.json else table(result))


if __name__ == "__main__":
    main()
