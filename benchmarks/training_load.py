"""Training load: another page's slider latency while a live training runs, as a ratio to idle,
and the seconds per live epoch on this machine (issue 14: "a classroom must not melt").

One server (the project's config), two Chromium tabs: tab A moves a slider of another page
(benchmarks.latency's keyboard move: ArrowRight → last DOM change), tab B runs a live training
on /training with the page's defaults (β = 1, lr 0.01, batch 100, one torch thread). The blocks
alternate — idle (B paused), busy (B training), idle, busy, … — so a change in the machine's
other load hits both sides alike; the ratio is busy median / idle median. Seconds per epoch are
read from B's status line ("the last epoch took X s of training and Y s of measuring").

    python -m benchmarks.training_load --blocks 3 --moves 6
"""

from __future__ import annotations

import argparse
import json
import os
import re

from benchmarks.common import chromium, log, median, p95, serve
from benchmarks.latency import Target, _move, _open
from harness.browser import new_context, wait_settled

PROGRESS_JS = """(want) => [...document.querySelectorAll('[data-testid="stProgress"]')]
  .some((e) => e.innerText.includes(want))"""
STARTED_JS = """() => [...document.querySelectorAll('[data-testid="stProgress"]')]
  .some((e) => /Epoch [1-9]/.test(e.innerText))"""
PAUSE_SETTLE_MS = 8000
EPOCH_TEXT = re.compile(r"took ([\d.]+) s of training and ([\d.]+) s of measuring")


def _state(page) -> str:
    texts = page.locator('[data-testid="stProgress"]').all_inner_texts()
    return texts[0] if texts else ""


def _set_training(page, running: bool, timeout_ms: float = 120_000) -> None:
    """Resume (running) or pause tab B's job and wait until the page shows it."""
    want = "training" if running else "paused"
    if want in _state(page):
        return
    page.get_by_role("button", name="Resume" if running else "Pause").first.click()
    page.wait_for_function(PROGRESS_JS, arg=want, timeout=timeout_ms, polling=200)
    if not running:  # a pause takes effect after the epoch in flight: let it finish before "idle"
        page.wait_for_timeout(PAUSE_SETTLE_MS)


def run(blocks: int = 3, moves: int = 6, page: str = "monte-carlo?lang=en") -> dict:
    samples = {"idle": [], "busy": []}
    epochs: list[tuple[float, float]] = []
    with serve("app.py") as app, chromium() as browser:
        target = Target("other page", "page", f"{app.base}/{page}")
        ctx_a, tab_a = _open(browser, target, 15_000)
        ctx_b = new_context(browser, viewport={"width": 1280, "height": 900}, locale="en-US")
        tab_b = ctx_b.new_page()
        tab_b.goto(f"{app.base}/training?lang=en")
        wait_settled(tab_b, timeout_ms=90_000)
        for _ in range(2):  # warm-up moves
            _move(tab_a, target, 0, 400, 15_000)
        tab_b.get_by_role("button", name="Start training").first.click()
        try:
            tab_b.wait_for_function(STARTED_JS, timeout=180_000, polling=500)
        except Exception:
            tab_b.screenshot(path="benchmarks/out/training_load_start.png", full_page=True)
            raise
        for block in range(2 * blocks):
            phase = "busy" if block % 2 else "idle"
            _set_training(tab_b, running=phase == "busy")
            log(f"training load: block {block + 1}/{2 * blocks} ({phase})")
            for step in range(moves):
                elapsed = _move(tab_a, target, step, 400, 15_000)
                if elapsed is not None:
                    samples[phase].append(elapsed)
            for caption in tab_b.locator('[data-testid="stCaptionContainer"]').all_inner_texts():
                if (m := EPOCH_TEXT.search(caption)) and phase == "busy":
                    epochs.append((float(m[1]), float(m[2])))
        final = _state(tab_b)
        ctx_a.close()
        ctx_b.close()
    idle, busy = median(samples["idle"]), median(samples["busy"])
    return {
        "page": page,
        "blocks": blocks,
        "moves": moves,
        "samples_ms": samples,
        "idle_median_ms": idle,
        "idle_p95_ms": p95(samples["idle"]),
        "busy_median_ms": busy,
        "busy_p95_ms": p95(samples["busy"]),
        "ratio": busy / idle,
        "epoch_seconds": epochs,
        "final_state": final,
        "load_average": os.getloadavg(),
        "errors": target.errors,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=3, help="idle/busy pairs")
    parser.add_argument("--moves", type=int, default=6, help="slider moves per block")
    parser.add_argument("--page", default="monte-carlo?lang=en")
    args = parser.parse_args(argv)
    result = run(args.blocks, args.moves, args.page)
    print(json.dumps(result, indent=1))
    print(
        f"slider → last DOM change on {args.page}: idle median {result['idle_median_ms']:.0f} ms, "
        f"during a live training {result['busy_median_ms']:.0f} ms → ratio {result['ratio']:.2f}×"
    )


if __name__ == "__main__":
    main()
