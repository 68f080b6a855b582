"""The classroom load against several replicas behind HAProxy (``python -m deploy.serve``).

Same students as ``benchmarks/load.py`` (websocket clients, round-robin over the pages with
sliders), but sticky like browsers: each loads the page's HTML first (HAProxy sets its cookie
there) and sends its cookies with the websocket and every image. Measured per run: rerun latency,
errors, each replica's RSS (every 2 s), CPU of the replicas and of HAProxy, how the students spread
over the replicas, and whether every response within one websocket's life came from one replica.

``--kill-at S`` kills replica 1 (SIGKILL, as a crash) S seconds into the run. Its students notice
the closed websocket, reconnect as Streamlit's frontend does (ping ``/_stcore/health``, new
websocket, every 0.5 s), open the page from its URL, and must see the same view (the sliders hold
the values the URL names). Reported: the time from losing the connection to that view, and where
they landed. The launcher restarts the killed replica meanwhile.

    python -m benchmarks.cluster --replicas 1 2 --clients 30 60 100 --duration 25
    python -m benchmarks.cluster --replicas 2 --clients 120 --think 3 8 --duration 90 --kill-at 30

``--reload-after-restart N`` checks the other way back: once the killed replica has been restarted,
N students whose cookie names it reload at once (F5) and must get their view from the fresh replica.

    python -m benchmarks.cluster --reload-after-restart 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks import load
from benchmarks.common import ROOT, cpu_seconds, log, log_errors, machine_busy_seconds, rss_mb
from benchmarks.wsclient import StreamlitSession
from deploy.serve import haproxy_path
from harness.server import free_port, launcher_command
from ui.registry import HOME, built_pages


@dataclass
class Launched:
    base: str
    proc: subprocess.Popen
    status_path: Path
    log_dir: Path

    def status(self) -> dict:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(self.status_path.read_text())
        return {}

    def replica_pids(self) -> dict[int, int]:
        return {r["index"]: r["pid"] for r in self.status().get("replicas", []) if r["pid"]}

    def log_errors(self) -> list[str]:
        errors = []
        for path in sorted(self.log_dir.glob("replica*.log")):
            errors += [f"{path.stem}: {e}" for e in log_errors(path.read_text(errors="replace"))]
        return errors


@contextlib.contextmanager
def launch(replicas: int, timeout: float = 120.0) -> Iterator[Launched]:
    """`python -m deploy.serve` on a free port until the block ends (SIGTERM, then SIGKILL)."""
    if haproxy_path() is None:
        raise RuntimeError("haproxy is not installed (Debian: apt-get install haproxy)")
    tmp = Path(tempfile.mkdtemp(prefix="bench_cluster_"))
    port = free_port()
    status = tmp / "status.json"
    cmd = launcher_command(replicas, port, status, tmp)
    with open(tmp / "launcher.log", "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not status.exists():
            if proc.poll() is not None:
                raise RuntimeError("deploy.serve exited: " + (tmp / "launcher.log").read_text()[-500:])
            if time.monotonic() > deadline:
                raise TimeoutError(f"deploy.serve not ready within {timeout:.0f} s")
            time.sleep(0.2)
        yield Launched(f"http://127.0.0.1:{port}", proc, status, tmp)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)  # tracebacks from its logs are in the summary


async def warm_every_replica(launched: Launched) -> None:
    """Open every page once on every replica directly (imports torch, fills caches), so no run
    measures one replica's cold start."""
    status = launched.status()
    for replica in status.get("replicas", []):
        base = f"http://{replica['address']}:{replica['port']}"
        for info in [HOME, *built_pages()]:
            session = StreamlitSession(base, info.url_path, "lang=en")
            try:
                await session.load()
            finally:
                await session.close()


async def _during(
    launched: Launched,
    rss: dict[int, list],
    cpu: dict[int, float],
    kill_at: float | None,
    kills: list,
    t0: float,
    stop_at: float,
    every: float = 2.0,
) -> None:
    """Sample each replica's RSS and CPU time (per pid: a killed replica's CPU must not vanish from
    the total); kill replica 1 at `kill_at` seconds (once)."""
    killed = False
    while True:
        now = time.monotonic() - t0
        pids = launched.replica_pids()
        for index, pid in pids.items():
            rss.setdefault(index, []).append((now, rss_mb(pid)))
            cpu[pid] = cpu_seconds(pid) or cpu.get(pid, 0.0)
        if time.monotonic() >= stop_at:
            return
        if kill_at is not None and not killed and now >= kill_at and 1 in pids:
            os.kill(pids[1], signal.SIGKILL)
            kills.append({"t": now, "pid": pids[1]})
            killed = True
            log(f"cluster: killed replica 1 (pid {pids[1]}) at {now:.1f} s")
        await asyncio.sleep(min(every, 0.25) if kill_at is not None and not killed else every)


def run_one(
    launched: Launched,
    replicas: int,
    clients: int,
    duration: float,
    think: tuple[float, float],
    kill_at: float | None = None,
    log=log,
) -> dict:
    """One class against a running launcher; the summary of benchmarks.load plus the cluster's part."""
    rss: dict[int, list] = {}
    cpu: dict[int, float] = {}  # replica pid → CPU seconds at its last sample
    kills: list = []
    status = launched.status()
    haproxy_pid = status.get("haproxy_pid")
    cpu0 = {pid: cpu_seconds(pid) for pid in launched.replica_pids().values()}
    haproxy0 = cpu_seconds(haproxy_pid) if haproxy_pid else 0.0
    busy0 = machine_busy_seconds()
    old_log_errors = len(launched.log_errors())

    async def during(t0, stop_at):
        await _during(launched, rss, cpu, kill_at, kills, t0, stop_at)

    log(
        f"cluster: {replicas} replica(s), {clients} students, {duration:.0f} s, think {think[0]}–{think[1]} s"
        + (f", kill replica 1 at {kill_at:.0f} s" if kill_at is not None else "")
    )
    result = asyncio.run(
        load.run_load(launched.base, launched.proc.pid, clients, duration, think, log=log, sticky=True, during=during)
    )
    summary = result.summary()
    haproxy_cpu = (cpu_seconds(haproxy_pid) - haproxy0) if haproxy_pid else 0.0
    # replicas (a restarted one from its start, its import of torch included) + HAProxy
    server_cpu = sum(c - cpu0.get(pid, 0.0) for pid, c in cpu.items()) + haproxy_cpu
    wall = result.duration_s
    summary.update(
        {
            "replicas": replicas,
            "kill_at": kill_at,
            "kills": kills,
            "server_cpu_ms_per_move": 1000 * server_cpu / summary["moves"] if summary["moves"] else float("nan"),
            "server_cores": server_cpu / wall,
            "haproxy_cores": haproxy_cpu / wall,
            "other_cores": (machine_busy_seconds() - busy0 - server_cpu - result.client_cpu_s) / wall,
            "rss_replicas": {
                i: {
                    "max_mb": max((r for _, r in s if r == r), default=float("nan")),
                    "end_mb": s[-1][1] if s else float("nan"),
                }
                for i, s in sorted(rss.items())
            },
        }
    )
    log_errs = launched.log_errors()[old_log_errors:]
    summary["server_log_errors"] = log_errs[:10]
    sticky = summary["sticky"] or {}
    broken = sticky.get("lives", 0) - sticky.get("lives_on_one_replica", 0)
    # without a kill, a closed websocket is an error; with one, only a student who never came back
    unexpected = sticky.get("disconnects", 0) if kill_at is None else 0
    summary["errors"] += len(log_errs) + unexpected + broken
    return summary


def run(
    replicas: list[int],
    clients: list[int],
    duration: float,
    think: tuple[float, float] = (0.5, 1.5),
    kill_at: float | None = None,
    log=log,
) -> list[dict]:
    """One launcher per entry of `replicas`, all started and warmed first; then for each class size
    one run on each launcher in turn (1 replica, 2 replicas, …), so that both meet the same
    machine: on a shared machine, compare them as ratios within one call."""
    with contextlib.ExitStack() as stack:
        launched = [stack.enter_context(launch(n)) for n in replicas]
        for n, one in zip(replicas, launched, strict=True):
            log(f"cluster: {n} replica(s) up at {one.base}; warming every replica")
            asyncio.run(warm_every_replica(one))
        return [
            run_one(one, n, students, duration, think, kill_at, log=log)
            for students in clients
            for n, one in zip(replicas, launched, strict=True)
        ]


async def reload_after_restart(launched: Launched, students: int, pages: list[tuple[str, str]]) -> dict:
    """Kill replica 1, wait until the launcher has restarted it and HAProxy sends its cookie there
    again, then let `students` holding that cookie reload their pages at once (F5 after a crash):
    each must be served by the fresh replica and see the view its URL names."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=students + 4))
    cookies = None
    for _ in range(20):  # leastconn alternates: a few page loads hand out replica 1's cookie
        probe = StreamlitSession(launched.base, "", "lang=en", sticky=True)
        await asyncio.to_thread(probe.open_page)
        if probe.replicas and probe.replicas[-1] == "app1":
            cookies = dict(probe.cookies)
            break
    if cookies is None:
        raise RuntimeError("HAProxy never sent a page load to replica 1")
    old_pid = launched.replica_pids()[1]
    os.kill(old_pid, signal.SIGKILL)
    t0 = time.monotonic()
    while True:  # restarted, and HAProxy routes the cookie to it again
        await asyncio.sleep(0.2)
        if launched.replica_pids().get(1, old_pid) == old_pid:
            continue
        probe = StreamlitSession(launched.base, "", "lang=en", sticky=True)
        probe.cookies = dict(cookies)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(probe.get, "/_stcore/health")
            if probe.replicas and probe.replicas[-1] == "app1":
                break
        if time.monotonic() - t0 > 120:
            raise TimeoutError("replica 1 was not back within 120 s")
    back_s = time.monotonic() - t0

    async def student(i: int) -> dict:
        path, query = pages[i % len(pages)]
        session = StreamlitSession(launched.base, path, query, sticky=True)
        session.cookies = dict(cookies)
        start = time.monotonic()
        try:
            await asyncio.to_thread(session.open_page)
            await session.connect()
            run = await session.load()
            same, compared = load.view_matches_url(session, query)
            given = set(query.split("&")) <= set(session.query.split("&"))  # the URL keeps what it named
            return {
                "page": path,
                "ok": run.status == "ok" and same and given and compared > 0,
                "replica": session.replicas[-1] if session.replicas else "?",
                "ms": 1000 * (time.monotonic() - start),
                "errors": run.errors[:2],
            }
        except Exception as exc:  # noqa: BLE001 - a refused student is a finding, not a crash
            return {"page": path, "ok": False, "replica": "?", "ms": float("nan"), "errors": [f"{exc!s:.120}"]}
        finally:
            await session.close()

    found = await asyncio.gather(*[student(i) for i in range(students)])
    times = sorted(r["ms"] for r in found if r["ok"])
    return {
        "students": students,
        "restarted_after_s": back_s,
        "same_view": sum(r["ok"] for r in found),
        "on_fresh_replica": sum(r["replica"] == "app1" for r in found),
        "median_ms": times[len(times) // 2] if times else float("nan"),
        "max_ms": times[-1] if times else float("nan"),
        "failed": [r for r in found if not r["ok"]][:5],
    }


# One shared view per page with a slider the URL names (what a student's reload brings back).
RELOAD_PAGES = [
    ("gaussian-kl", "mu1=0.7&sigma2=1.6&lang=en"),
    ("monte-carlo", "n=1000&lang=en"),
    ("reparameterization", "mu=0.6&lang=zh"),
    ("latent", "z1=1.2&z2=-0.4&lang=en"),
    ("elbo", "w=1.5&lang=zh"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[2])
    parser.add_argument("--clients", type=int, nargs="+", default=[30])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--kill-at", type=float, help="kill replica 1 this many seconds into each run")
    parser.add_argument(
        "--reload-after-restart",
        type=int,
        metavar="N",
        help="instead: kill replica 1 and let N students with its cookie reload once it is back",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # lets `finally` stop the launcher
    if args.reload_after_restart:
        with launch(2) as launched:
            asyncio.run(warm_every_replica(launched))
            found = asyncio.run(reload_after_restart(launched, args.reload_after_restart, RELOAD_PAGES))
        print(json.dumps(found, indent=1, default=str))
        return
    print(
        json.dumps(
            run(args.replicas, args.clients, args.duration, tuple(args.think), args.kill_at), indent=1, default=str
        )
    )


if __name__ == "__main__":
    main()
