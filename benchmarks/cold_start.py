"""Cold start: ``streamlit run app.py`` spawned → a page rendered in Chromium.

The browser is already open (a student's is); the clock starts just before the server process
is spawned. Once ``/_stcore/health`` answers, the page is opened; "rendered" is the last DOM
change before the page settles (script stopped, charts drawn, 500 ms without a change), taken
from ``performance.timeOrigin + performance.now()`` in the page, so the settling wait itself is
not counted. Each repetition is a fresh server (nothing imported, nothing cached).

Also checked from outside the real server: whether torch got loaded while only the home page
was served (``libtorch`` mapped into the process — see /proc/<pid>/maps).

    python -m benchmarks.cold_start --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import json

from benchmarks.common import ROOT, chromium, cpu_seconds, log, median, rss_mb, serve, torch_loaded
from benchmarks.latency import INSTRUMENT_JS, dismiss_dialogs
from harness.browser import new_context, wait_settled
from ui.registry import PAGES

LATENT = next(p for p in PAGES if p.slug == "latent")
QUIET_JS = "(quiet) => performance.now() - window.__bench.last >= quiet"


def _open_and_time(browser, url: str, timeout_ms: float = 120_000) -> tuple[float, list[str], int]:
    """(epoch seconds of the last DOM change before settling, dialog titles, exceptions shown)."""
    context = new_context(browser, viewport={"width": 1400, "height": 900}, locale="en-US")
    context.add_init_script(INSTRUMENT_JS)
    try:
        page = context.new_page()
        page.goto(url, timeout=timeout_ms)
        wait_settled(page, timeout_ms=timeout_ms)
        page.wait_for_function(QUIET_JS, arg=500, timeout=timeout_ms, polling=50)
        rendered_ms = page.evaluate("() => performance.timeOrigin + window.__bench.last")
        exceptions = page.locator('[data-testid="stException"]').count()
        dialogs = dismiss_dialogs(page)
        return rendered_ms / 1000, dialogs, exceptions
    finally:
        with contextlib.suppress(Exception):
            context.close()


def measure_once(browser, url_path: str) -> dict:
    with serve("app.py") as server:
        rendered, dialogs, exceptions = _open_and_time(browser, f"{server.base}/{url_path}?lang=en")
        return {
            "server_ready_s": server.ready_at - server.spawned_at,
            "rendered_s": rendered - server.spawned_at,
            # the server's own work from spawn to the settled page: much less sensitive to what else
            # the machine runs than the wall time
            "server_cpu_s": cpu_seconds(server.pid),
            "rss_mb": rss_mb(server.pid),
            "torch_loaded": torch_loaded(server.pid),
            "dialogs": dialogs,
            "exceptions": exceptions,
            "log_errors": server.new_log_errors(),
        }


def run(repeats: int = 3, log=log) -> dict:
    latent_built = (ROOT / LATENT.file).is_file()
    runs: dict[str, list[dict]] = {"home": [], "latent": []}
    with chromium() as browser:
        for i in range(repeats):
            runs["home"].append(measure_once(browser, ""))
            if latent_built:
                runs["latent"].append(measure_once(browser, LATENT.url_path))
            log(f"  cold start: {i + 1}/{repeats}")
    out = {"repeats": repeats, "latent_built": latent_built}
    for name, items in runs.items():
        out[name] = {
            "runs": items,
            "server_ready_s": median([r["server_ready_s"] for r in items]),
            "rendered_s": median([r["rendered_s"] for r in items]),
            "rendered_max_s": max((r["rendered_s"] for r in items), default=float("nan")),
            "server_cpu_s": median([r["server_cpu_s"] for r in items]),
            "torch_loaded": any(r["torch_loaded"] for r in items),
            "dialogs": sorted({d for r in items for d in r["dialogs"]}),
            "errors": sum(r["exceptions"] + len(r["log_errors"]) for r in items),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.repeats, log=log), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
