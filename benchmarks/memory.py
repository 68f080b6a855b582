"""Server memory: RSS of ``streamlit run app.py`` (and any children) at three moments.

1. idle: started, no session yet;
2. after one browser session has visited every page once (home, then each built page,
   settled) — the footprint of everything the pages import and cache;
3. after N more sessions (websocket clients, spread round-robin over all pages, each opening
   its page and moving a slider three times) — all still connected, as in a classroom.

    python -m benchmarks.memory --sessions 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import time

from benchmarks.common import chromium, log, rss_mb, serve, torch_loaded
from benchmarks.wsclient import StreamlitSession
from harness.browser import new_context, wait_settled
from ui.registry import HOME, built_pages


def _visit_every_page(browser, base: str) -> list[str]:
    """One browser session opens every page in turn; returns the problems it saw."""
    problems = []
    context = new_context(browser, viewport={"width": 1400, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        for info in [HOME, *built_pages()]:
            page.goto(f"{base}/{info.url_path}?lang=en")
            wait_settled(page, timeout_ms=120_000)
            if page.locator('[data-testid="stException"]').count():
                problems.append(f"{info.slug}: exception shown")
    finally:
        with contextlib.suppress(Exception):
            context.close()
    return problems


async def _sessions(base: str, count: int, moves: int = 3) -> tuple[list[StreamlitSession], list[str]]:
    """Open `count` sessions over all pages; each moves a slider `moves` times; keep them open."""
    pages = [HOME, *built_pages()]
    rng = random.Random(0)
    sessions, problems = [], []
    for i in range(count):
        info = pages[i % len(pages)]
        session = StreamlitSession(base, info.url_path, "lang=" + ("zh" if i % 2 else "en"))
        sessions.append(session)
        run = await session.load()
        problems += [f"{info.slug}: {e}" for e in run.errors]
        for _ in range(moves):
            sliders = session.main_sliders()
            if not sliders:
                break
            slider = rng.choice(sliders)
            value = slider.snapped(slider.value + rng.choice((-1, 1)) * slider.step)
            run = await session.rerun(slider, value)
            problems += [f"{info.slug}: {e}" for e in run.errors]
    return sessions, problems


async def _with_sessions(base: str, pid: int, count: int, settle: float) -> tuple[float, list[str]]:
    sessions, problems = await _sessions(base, count)
    try:
        await asyncio.sleep(settle)
        return rss_mb(pid), problems
    finally:
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.close()


def run(sessions: int = 30, settle: float = 2.0, log=log) -> dict:
    with serve("app.py") as server:
        time.sleep(settle)
        idle = rss_mb(server.pid)
        with chromium() as browser:
            problems = _visit_every_page(browser, server.base)
        time.sleep(settle)
        after_pages = rss_mb(server.pid)
        torch = torch_loaded(server.pid)
        log(f"  memory: every page visited, RSS {after_pages:.0f} MiB; opening {sessions} sessions")
        after_sessions, more = asyncio.run(_with_sessions(server.base, server.pid, sessions, settle))
        log_errors = server.new_log_errors()
    return {
        "idle_mb": idle,
        "after_pages_mb": after_pages,
        "torch_loaded": torch,
        "sessions": sessions,
        "after_sessions_mb": after_sessions,
        "errors": problems + more + log_errors,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.sessions, log=log), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
