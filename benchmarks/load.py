"""Classroom load: N students at once, each moving sliders on its own page, for a while.

Each simulated student is a :class:`benchmarks.wsclient.StreamlitSession` (the browser's
websocket protocol, without the rendering). Students are spread round-robin over the pages
that have sliders and start over a short ramp; each one loops: think (uniform 0.5–1.5 s by
default), move a random slider of its page by ±1–3 steps, wait for ``script_finished`` (and the
images it shows). Measured: rerun latency (send → script_finished, the server's share of what
a student waits for), errors (exceptions on the page, failed or timed-out reruns, dropped
connections, tracebacks in the server log), the server's RSS every 2 s, and CPU time: the
server's per move (what limits how many students two cores can serve), the simulated students'
own, and everything else's on the machine (noise from other work).

    python -m benchmarks.load --clients 30 --duration 120

Against several replicas behind HAProxy (``python -m deploy.serve``) see ``benchmarks/cluster.py``:
there each student keeps its cookies like a browser (``sticky``), the benchmark checks that every
response of one tab came from one replica, and a student whose replica dies reconnects as the
browser does and must see the same view, restored from its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from benchmarks.common import cpu_seconds, log, machine_busy_seconds, median, p95, rss_mb, serve
from benchmarks.wsclient import StreamlitSession
from ui.registry import HOME, built_pages


@dataclass
class LoadResult:
    clients: int
    duration_s: float
    think_s: tuple[float, float]
    pages: dict[str, int] = field(default_factory=dict)  # url path → students on it
    moves: list[tuple[float, str, float]] = field(default_factory=list)  # (t, page, ms)
    loads_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page_not_found: int = 0
    rss: list[tuple[float, float]] = field(default_factory=list)  # (t, MiB)
    bytes_received: int = 0
    server_cpu_s: float = 0.0  # CPU time the server used during the run
    client_cpu_s: float = 0.0  # CPU time this process (the simulated students) used
    machine_cpu_s: float = 0.0  # CPU time everything on the machine used
    # behind a load balancer (sticky students; benchmarks/cluster.py)
    lives: list[list[str]] = field(default_factory=list)  # replicas that answered, per websocket life
    first_replica: Counter = field(default_factory=Counter)  # replica → students that started there
    disconnects: int = 0  # websockets the server closed (a killed replica)
    reconnects: list[dict] = field(default_factory=list)  # one per disconnect that came back

    def summary(self) -> dict:
        ms = [m for _, _, m in self.moves]
        warm = warmup_end(self.duration_s)
        after = [(t, r) for t, r in self.rss if t >= warm]
        per_page = {}
        for page in self.pages:
            page_ms = [m for _, p, m in self.moves if p == page]
            per_page[page] = {"moves": len(page_ms), "median_ms": median(page_ms), "p95_ms": p95(page_ms)}
        return {
            "clients": self.clients,
            "pages": dict(self.pages),
            "duration_s": self.duration_s,
            "think_s": list(self.think_s),
            "moves": len(ms),
            "moves_per_s": len(ms) / self.duration_s if self.duration_s else 0.0,
            "median_ms": median(ms),
            "p95_ms": p95(ms),
            "max_ms": max(ms, default=float("nan")),
            "load_median_ms": median(self.loads_ms),
            "errors": len(self.errors),
            "error_samples": self.errors[:10],
            "page_not_found": self.page_not_found,
            "rss_start_mb": self.rss[0][1] if self.rss else float("nan"),
            "rss_warm_mb": after[0][1] if after else float("nan"),
            "rss_end_mb": self.rss[-1][1] if self.rss else float("nan"),
            "rss_max_mb": max((r for _, r in self.rss), default=float("nan")),
            "rss_slope_mb_per_min": slope(after) * 60 if len(after) >= 3 else float("nan"),
            "mb_per_s": self.bytes_received / 1e6 / self.duration_s if self.duration_s else 0.0,
            "server_cpu_ms_per_move": 1000 * self.server_cpu_s / len(ms) if ms else float("nan"),
            "server_cores": self.server_cpu_s / self.duration_s if self.duration_s else float("nan"),
            "client_cores": self.client_cpu_s / self.duration_s if self.duration_s else float("nan"),
            "other_cores": (self.machine_cpu_s - self.server_cpu_s - self.client_cpu_s) / self.duration_s
            if self.duration_s
            else float("nan"),
            "per_page": per_page,
            "sticky": {
                "lives": len(self.lives),
                "lives_on_one_replica": sum(len(set(life)) <= 1 for life in self.lives),
                "students_per_replica": dict(sorted(self.first_replica.items())),
                "disconnects": self.disconnects,
                "reconnects": self.reconnects,
            }
            if self.lives
            else None,
        }


def warmup_end(duration_s: float) -> float:
    """Seconds after the start from which RSS should be flat: a quarter of the run, ≥ 10 s."""
    return max(10.0, duration_s / 4)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (per unit of x); 0 for fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in points) / sxx


async def _student(
    base: str,
    path: str,
    seed: int,
    start_delay: float,
    stop_at: float,
    think: tuple[float, float],
    t0: float,
    result: LoadResult,
    sticky: bool = False,
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(start_delay)
    session = StreamlitSession(base, path, "lang=" + ("zh" if seed % 2 else "en"), sticky=sticky)
    try:
        try:
            if sticky:  # a browser loads the page's HTML first; the sticky cookie comes with it
                await asyncio.to_thread(session.open_page)
            await session.connect()
        except Exception as exc:  # noqa: BLE001 - a refused student is an error, not a crash
            result.errors.append(f"{path}: connect: {exc!s:.120}")
            return
        first = await session.load()
        result.loads_ms.append(first.elapsed_ms)
        result.errors += [f"{path or 'home'}: load: {e}" for e in first.errors]
        result.page_not_found += first.page_not_found
        result.bytes_received += first.bytes_received
        if sticky and session.replicas:
            result.first_replica[session.replicas[0]] += 1
        while time.monotonic() + think[1] < stop_at:
            pause = rng.uniform(*think)
            if sticky:  # a browser notices a closed websocket at once, not at its next move
                lost = await session.closed_within(pause)
            else:
                await asyncio.sleep(pause)
                lost = False
            if not lost:
                sliders = session.main_sliders()
                if not sliders:
                    run = await session.rerun()  # a page without sliders: the student reloads it
                else:
                    slider = rng.choice(sliders)
                    steps = rng.choice((-3, -2, -1, 1, 2, 3))
                    value = slider.snapped(slider.value + steps * slider.step)
                    if value == slider.value:
                        value = slider.snapped(slider.value - steps * slider.step)
                    run = await session.rerun(slider, value)
                lost = sticky and run.status in ("closed", "io")
                if not lost:
                    result.moves.append((time.monotonic() - t0, path, run.elapsed_ms))
                    result.bytes_received += run.bytes_received
                    result.page_not_found += run.page_not_found
                    result.errors += [f"{path or 'home'}: {e}" for e in run.errors]
                    if run.status in ("closed", "io"):
                        return
                    continue
            result.disconnects += 1  # its replica went away: come back as the browser does
            if not await _reconnect(session, stop_at, result):
                return
    finally:
        if sticky:
            result.lives.append(list(session.replicas))
        await session.close()


def view_matches_url(session: StreamlitSession, query: str) -> tuple[bool, int]:
    """Do the page's sliders show the values its URL names? → (all equal, how many compared).

    A slider's key is its page prefix + its URL parameter (``gaussian_kl_mu1`` ↔ ``mu1``, design.md "State
    in the URL"); select sliders (text options) are not compared."""
    params = dict(urllib.parse.parse_qsl(query))
    compared = 0
    for slider in session.main_sliders():
        name = slider.live or slider.id.rsplit("-", 1)[-1].split("_", 1)[-1]  # a live view names its values
        if slider.options or name not in params:
            continue
        try:
            wanted = float(params[name])
        except ValueError:
            continue
        compared += 1
        if abs(wanted - slider.value) > 1e-9 * max(1.0, abs(wanted)):
            return False, compared
    return True, compared


async def _reconnect(session: StreamlitSession, stop_at: float, result: LoadResult, retry_s: float = 0.5) -> bool:
    """Reconnect like Streamlit's frontend (ping /_stcore/health, then a new websocket, retrying
    every `retry_s`), open the page from its URL, and check it shows the same view."""
    lost_at = time.monotonic()
    query = session.query
    before = session.replicas[-1] if session.replicas else "?"
    result.lives.append(list(session.replicas))
    await session.close()
    session.replicas = []
    attempts = 0
    failures: list[str] = []
    while time.monotonic() < stop_at + 30:
        attempts += 1
        try:
            await asyncio.to_thread(session.get, "/_stcore/health")
            session.page_script_hash = ""  # a new server session: ask for the page by its URL path
            session.cache.clear()
            await session.connect()
            run = await session.load()
            if run.status == "ok":
                same, compared = view_matches_url(session, query)
                result.reconnects.append(
                    {
                        "ms": 1000 * (time.monotonic() - lost_at),
                        "attempts": attempts,
                        "page": session.url_path,
                        "view_same": same and session.query == query,
                        "sliders_compared": compared,
                        "before": before,
                        "after": session.replicas[-1] if session.replicas else "?",
                        "failed_attempts": failures[:3],
                        "page_not_found": run.page_not_found,
                        "errors": run.errors[:3],
                        "query_after": session.query[:200],
                    }
                )
                return True
            failures.append(f"{time.monotonic() - lost_at:.1f} s: load {run.status}")
            await session.close()
        except Exception as exc:  # noqa: BLE001 - refused, 503, reset: the browser just tries again
            failures.append(f"{time.monotonic() - lost_at:.1f} s: {exc!r:.100}")
            await session.close()
        await asyncio.sleep(retry_s)
    result.errors.append(f"{session.url_path}: no reconnect after {attempts} attempts")
    return False


async def _sample_rss(pid: int, t0: float, stop_at: float, result: LoadResult, every: float = 2.0):
    while time.monotonic() < stop_at:
        result.rss.append((time.monotonic() - t0, rss_mb(pid)))
        await asyncio.sleep(every)
    result.rss.append((time.monotonic() - t0, rss_mb(pid)))


async def _slider_pages(base: str, only: list[str] | None = None) -> list[str]:
    """URL paths of the built pages that have at least one slider (probed with one session)."""
    found = []
    for info in [HOME, *built_pages()]:
        if only and info.url_path not in only and info.slug not in only:
            continue
        session = StreamlitSession(base, info.url_path, "lang=en")
        try:
            await session.load()
            if session.main_sliders():
                found.append(info.url_path)
        finally:
            await session.close()
    return found or [HOME.url_path]


async def run_load(
    base: str,
    pid: int,
    clients: int,
    duration: float,
    think: tuple[float, float] = (0.5, 1.5),
    ramp: float = 5.0,
    pages: list[str] | None = None,
    log=log,
    sticky: bool = False,
    during=None,
) -> LoadResult:
    """`during(t0, stop_at)`, if given, is an extra coroutine run alongside the students (the cluster
    benchmark samples each replica's memory and kills one mid-class with it)."""
    # Each student fetches pages and images in a thread of its own, as each browser tab does; the
    # default pool (cores + 4 threads, shared by the whole class) would queue them behind each other.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=clients + 4))
    pages = await _slider_pages(base, pages)  # also warms the server: imports, caches
    result = LoadResult(clients, duration, think)
    for i in range(clients):
        path = pages[i % len(pages)]
        result.pages[path] = result.pages.get(path, 0) + 1
    log(f"load: {clients} students on {result.pages} for {duration:.0f} s")
    cpu0 = (cpu_seconds(pid), time.process_time(), machine_busy_seconds())
    t0 = time.monotonic()
    stop_at = t0 + duration
    tasks = [asyncio.create_task(_sample_rss(pid, t0, stop_at, result))]
    if during is not None:
        tasks.append(asyncio.create_task(during(t0, stop_at)))
    for i in range(clients):
        tasks.append(
            asyncio.create_task(
                _student(
                    base,
                    pages[i % len(pages)],
                    seed=i,
                    start_delay=ramp * i / clients,
                    stop_at=stop_at,
                    think=think,
                    t0=t0,
                    result=result,
                    sticky=sticky,
                )
            )
        )
    await asyncio.gather(*tasks)
    result.duration_s = time.monotonic() - t0
    result.server_cpu_s = cpu_seconds(pid) - cpu0[0]
    result.client_cpu_s = time.process_time() - cpu0[1]
    result.machine_cpu_s = machine_busy_seconds() - cpu0[2]
    return result


def run(
    clients: int = 30,
    duration: float = 120.0,
    think: tuple[float, float] = (0.5, 1.5),
    pages: list[str] | None = None,
    log=log,
) -> dict:
    """A fresh server under the project config; N students (on `pages`, default all); summary."""
    with serve("app.py") as server:
        result = asyncio.run(run_load(server.base, server.pid, clients, duration, think, pages=pages, log=log))
        log_errors = server.new_log_errors()
    summary = result.summary()
    summary["server_log_errors"] = log_errors[:10]
    summary["errors"] += len(log_errors)
    summary["rss_series"] = [(round(t, 1), round(r, 1)) for t, r in result.rss]
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--pages", action="append", help="only these pages (url path or slug; repeatable)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.clients, args.duration, tuple(args.think), args.pages, log=log), indent=1))


if __name__ == "__main__":
    main()
