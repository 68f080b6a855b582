"""Run every benchmark and print one markdown report (see docs/benchmarks.md).

    python -m benchmarks.run_all                  # everything, ~6–10 min on 2 cores
    python -m benchmarks.run_all --quick          # fewer moves/repeats, 20 s load: ~2–4 min
    python -m benchmarks.run_all --only latency --only load --duration 60
    python -m benchmarks.run_all --out /tmp/bench.md --json /tmp/bench.json
    python -m benchmarks.run_all --only cluster --replicas 1 2 --cluster-clients 30 60 100 --duration 25
    python -m benchmarks.run_all --only cluster --replicas 2 --cluster-clients 120 --think 3 8 --kill-at 20
    python -m benchmarks.run_all --only weight --weight-hosted   # bytes per first visit, plain + HAProxy

The cluster section (several replicas behind HAProxy, ``python -m deploy.serve``; needs haproxy)
runs only when asked for with ``--only cluster``; so does ``--only weight`` (bytes on the wire per
first visit, ``benchmarks/page_weight.py``; ``--weight-hosted`` adds the HAProxy path).

Targets (design.md "Latency budget"): slider → render ≤ 1.3× a trivial one-slider
app under Streamlit's defaults, which under our config reads ≤ 5× the floor app (≤ 2× for
the latent explorer); cold start ≤ 3 s to the home page (without torch), ≤ 6 s to the latent
page; RSS ≤ 400 MB after every page, ≤ 700 MB after 30 sessions; 30 students: 0 errors,
rerun p95 ≤ 500 ms, RSS flat after warm-up; a phone's first visit ≤ 4 MB on the wire per page,
≤ 1.5 MB for /lesson (issue 22).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run_all.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import cluster, cold_start, ddpm_browser, latency, live_frames, load, memory, page_weight  # noqa: E402
from benchmarks.common import (  # noqa: E402
    fmt,
    log,
    machine_busy_seconds,
    machine_info,
    markdown_table,
    median,
    own_tree_cpu_seconds,
    p95,
    ratio,
    verdict,
)

SECTIONS = ("latency", "live", "ddpm", "cold", "memory", "load")  # the default set
ALL_SECTIONS = (*SECTIONS, "cluster", "weight")  # asked for by name: --only cluster, --only weight
ISSUE_RATIO = 1.3  # × the trivial app with Streamlit defaults
FLOOR_RATIO = 5.0  # × the floor app (our config); design.md
LATENT_FLOOR_RATIO = 2.0
COLD_HOME_S, COLD_LATENT_S = 3.0, 6.0
RSS_PAGES_MB, RSS_SESSIONS_MB = 400.0, 700.0  # MB = 10⁶ bytes as in the issue; we report MiB
LOAD_P95_MS = 500.0
FLAT_MB, FLAT_FRACTION = 20.0, 0.05
MIB_PER_MB = 1e6 / 2**20


def _stop_on_sigterm(*_):
    raise SystemExit(143)  # lets every `finally` stop its servers and browsers


def timed(name: str, fn, noise: dict, *args, **kwargs):
    """Run one section; note its wall time and how busy the rest of the machine was."""
    wall0, busy0, own0 = time.monotonic(), machine_busy_seconds(), own_tree_cpu_seconds()
    try:
        return fn(*args, **kwargs)
    finally:
        wall = time.monotonic() - wall0
        others = (machine_busy_seconds() - busy0) - (own_tree_cpu_seconds() - own0)
        noise[name] = {
            "wall_s": wall,
            "other_cores": max(0.0, others / wall) if wall else math.nan,
            "loadavg": Path("/proc/loadavg").read_text().split()[0],
        }


# ----------------------------------------------------------------------------- tables
def latency_table(result: dict) -> str:
    targets = result["targets"]
    ref = {t["kind"]: median(t["samples_ms"]) for t in targets if t["kind"] != "page"}
    rows = []
    for t in targets:
        med = median(t["samples_ms"])
        to_default, to_floor = ratio(med, ref.get("default", math.nan)), ratio(med, ref.get("floor", math.nan))
        floor_target = LATENT_FLOOR_RATIO if t["name"] == "latent" else FLOOR_RATIO
        notes = []
        if t["errors"]:
            notes.append(f"{len(t['errors'])} errors: {t['errors'][0][:80]}")
        if t["dialogs"]:
            notes.append("dialog on open: " + ", ".join(t["dialogs"]))
        if t["note"]:
            notes.append(t["note"])
        is_page = t["kind"] == "page"
        rows.append(
            [
                t["name"],
                str(t["slider"]) if is_page else "0",
                str(len(t["samples_ms"])),
                fmt(med),
                fmt(p95(t["samples_ms"])),
                fmt(to_default, 2, "×"),
                fmt(to_floor, 2, "×"),
                fmt(median(t["server_ms"])),
                fmt(t["server_cpu_ms"]),
                fmt(median(t.get("server_kb", []))),
                verdict(to_default, ISSUE_RATIO) if is_page else "",
                (verdict(to_floor, floor_target) + f" (≤ {floor_target:g}×)") if is_page else "",
                "; ".join(notes),
            ]
        )
    header = [
        "target",
        "slider #",
        "moves",
        "median ms",
        "p95 ms",
        "× trivial (defaults)",
        "× floor",
        "server ms",
        "server CPU ms",
        "KB sent",
        f"≤ {ISSUE_RATIO}× trivial",
        "≤ N× floor",
        "notes",
    ]
    return markdown_table(header, rows)


def cold_table(result: dict) -> str:
    rows = []
    for name, target in (("home", COLD_HOME_S), ("latent", COLD_LATENT_S)):
        r = result[name]
        if name == "latent" and not result["latent_built"]:
            rows.append([name, "0", "—", "—", "—", f"≤ {target:g} s", "not built yet", "—", ""])
            continue
        notes = []
        if r["dialogs"]:
            notes.append("dialog: " + ", ".join(r["dialogs"]))
        if r["errors"]:
            notes.append(f"{r['errors']} errors")
        torch_note = "yes" if r["torch_loaded"] else "no"
        if name == "home" and r["torch_loaded"]:
            torch_note = "yes ❌ (home must not import torch)"
        rows.append(
            [
                name,
                str(len(r["runs"])),
                fmt(r["server_ready_s"], 2),
                fmt(r["rendered_s"], 2),
                fmt(r["rendered_max_s"], 2),
                f"≤ {target:g} s",
                verdict(r["rendered_s"], target),
                torch_note,
                "; ".join(notes),
            ]
        )
    header = [
        "page",
        "runs",
        "spawn → server ready s",
        "spawn → rendered s (median)",
        "worst s",
        "target",
        "verdict",
        "torch loaded",
        "notes",
    ]
    return markdown_table(header, rows)


def memory_table(result: dict) -> str:
    def mb(mib):
        return mib / MIB_PER_MB

    rows = [
        ["idle (started, no session)", fmt(result["idle_mb"]), fmt(mb(result["idle_mb"])), "", ""],
        [
            "every page visited once" + (" (torch loaded)" if result.get("torch_loaded") else ""),
            fmt(result["after_pages_mb"]),
            fmt(mb(result["after_pages_mb"])),
            f"≤ {RSS_PAGES_MB:g} MB",
            verdict(mb(result["after_pages_mb"]), RSS_PAGES_MB),
        ],
        [
            f"+ {result['sessions']} sessions connected",
            fmt(result["after_sessions_mb"]),
            fmt(mb(result["after_sessions_mb"])),
            f"≤ {RSS_SESSIONS_MB:g} MB",
            verdict(mb(result["after_sessions_mb"]), RSS_SESSIONS_MB),
        ],
    ]
    table = markdown_table(["moment", "RSS MiB", "RSS MB", "target", "verdict"], rows)
    if result["errors"]:
        table += f"\n\nErrors: {len(result['errors'])} — {result['errors'][:3]}"
    return table


def load_flat(r: dict) -> tuple[bool, float]:
    growth = r["rss_end_mb"] - r["rss_warm_mb"]
    return abs(growth) <= max(FLAT_MB, FLAT_FRACTION * r["rss_warm_mb"]), growth


def load_table(r: dict) -> str:
    flat, growth = load_flat(r)
    pages = ", ".join(f"{p or 'home'} ×{n}" for p, n in r.get("pages", {}).items())
    rows = [
        [
            str(r["clients"]),
            fmt(r["duration_s"]),
            str(r["moves"]),
            fmt(r["moves_per_s"], 1),
            fmt(r["median_ms"]),
            fmt(r["p95_ms"]),
            fmt(r["max_ms"]),
            str(r["errors"]),
            f"{fmt(r['rss_warm_mb'])} → {fmt(r['rss_end_mb'])} ({growth:+.0f})",
            fmt(r["rss_slope_mb_per_min"], 1),
            fmt(r["server_cpu_ms_per_move"]),
            fmt(r["server_cores"], 2),
            fmt(r["other_cores"], 2),
            "✅" if r["errors"] == 0 else "❌",
            verdict(r["p95_ms"], LOAD_P95_MS),
            "✅ flat" if flat else "❌ grows",
        ]
    ]
    header = [
        "students",
        "s",
        "reruns",
        "reruns/s",
        "median ms",
        "p95 ms",
        "max ms",
        "errors",
        "RSS MiB after warm-up → end",
        "MiB/min",
        "server CPU ms/rerun",
        "server cores",
        "others' cores",
        "0 errors",
        f"p95 ≤ {LOAD_P95_MS:g} ms",
        "RSS flat",
    ]
    table = f"Students per page: {pages}.\n\n" + markdown_table(header, rows)
    per_page = [[p or "home", str(v["moves"]), fmt(v["median_ms"]), fmt(v["p95_ms"])] for p, v in r["per_page"].items()]
    table += "\n\n" + markdown_table(["page", "reruns", "median ms", "p95 ms"], per_page)
    samples = r.get("error_samples", []) + r.get("server_log_errors", [])
    if samples:
        table += "\n\nFirst errors: " + "; ".join(f"`{s[:100]}`" for s in samples[:5])
    if r.get("page_not_found"):
        table += f"\n\n'Page not found' dialogs: {r['page_not_found']}"
    return table


def cluster_table(runs: list[dict]) -> str:
    """One row per run; p95 also as a ratio to the 1-replica run of the same class in this call."""
    one = {(r["clients"], tuple(r["think_s"])): r["p95_ms"] for r in runs if r["replicas"] == 1}
    rows = []
    for r in runs:
        sticky = r.get("sticky") or {}
        spread = " / ".join(str(n) for n in sticky.get("students_per_replica", {}).values())
        rss = " / ".join(fmt(v["max_mb"]) for v in r.get("rss_replicas", {}).values())
        tabs = f"{sticky.get('lives_on_one_replica', 0)}/{sticky.get('lives', 0)}"
        rows.append(
            [
                str(r["replicas"]),
                str(r["clients"]),
                f"{r['think_s'][0]:g}–{r['think_s'][1]:g}",
                fmt(r["duration_s"]),
                str(r["moves"]),
                fmt(r["moves_per_s"], 1),
                fmt(r["median_ms"]),
                fmt(r["p95_ms"]),
                fmt(ratio(r["p95_ms"], one.get((r["clients"], tuple(r["think_s"])), math.nan)), 2, "×"),
                fmt(r["max_ms"]),
                str(r["errors"]),
                spread,
                rss,
                fmt(r["server_cpu_ms_per_move"]),
                fmt(r["server_cores"], 2),
                fmt(r["haproxy_cores"], 2),
                fmt(r["other_cores"], 2),
                tabs,
                "✅" if r["errors"] == 0 else "❌",
                verdict(r["p95_ms"], LOAD_P95_MS),
            ]
        )
    header = [
        "replicas",
        "students",
        "pause s",
        "s",
        "reruns",
        "reruns/s",
        "median ms",
        "p95 ms",
        "p95 × 1 replica",
        "max ms",
        "errors",
        "students per replica",
        "RSS MiB per replica (max)",
        "server CPU ms/rerun",
        "server cores",
        "HAProxy cores",
        "others' cores",
        "tabs on one replica",
        "0 errors",
        f"p95 ≤ {LOAD_P95_MS:g} ms",
    ]
    table = markdown_table(header, rows)
    samples = [s for r in runs for s in r.get("error_samples", []) + r.get("server_log_errors", [])]
    if samples:
        table += "\n\nFirst errors: " + "; ".join(f"`{s[:100]}`" for s in samples[:5])
    return table


def kill_table(runs: list[dict]) -> str:
    rows = []
    for r in runs:
        sticky = r["sticky"] or {}
        back = sticky.get("reconnects", [])
        ms = [b["ms"] for b in back]
        landed = {}
        for b in back:
            landed[b["after"]] = landed.get(b["after"], 0) + 1
        rows.append(
            [
                str(r["replicas"]),
                str(r["clients"]),
                f"{r['kills'][0]['t']:.0f}",
                str(sticky.get("disconnects", 0)),
                str(len(back)),
                f"{sum(b['view_same'] for b in back)}/{len(back)}",
                fmt(median(ms)),
                fmt(max(ms, default=math.nan)),
                ", ".join(f"{k} ×{v}" for k, v in sorted(landed.items())),
                fmt(max((b["attempts"] for b in back), default=math.nan)),
                str(r["errors"]),
            ]
        )
    header = [
        "replicas",
        "students",
        "killed at s",
        "students disconnected",
        "reconnected",
        "same view (URL)",
        "lost → view back, median ms",
        "max ms",
        "landed on",
        "max attempts",
        "errors",
    ]
    return markdown_table(header, rows)


def noise_table(noise: dict, nproc: str) -> str:
    rows = [[name, fmt(v["wall_s"]), f"{v['other_cores']:.2f} of {nproc}", v["loadavg"]] for name, v in noise.items()]
    return markdown_table(["section", "wall s", "CPU used by other processes (cores)", "load avg (1 min) at end"], rows)


def report(info: dict, results: dict, noise: dict, args) -> str:
    out = [
        "# Benchmark run",
        "",
        f"- date: {info['date']}; command: `python -m benchmarks.run_all {' '.join(args.argv)}`".rstrip(),
        f"- machine: {info.get('cpu', '?')}, {info['nproc']} cores, {info.get('ram', '?')} RAM; "
        f"load avg at start {info.get('load', '?')}",
        f"- Python {info['python']}, Streamlit {info['streamlit']}, torch {info['torch']}, "
        f"plotly {info['plotly']}, Playwright {info['playwright']}, {info.get('chromium', 'Chromium ?')}",
    ]
    if "latency" in results:
        r = results["latency"]
        title = f"## Slider → render latency ({r['moves']} moves per target, interleaved; quiet {r['quiet_ms']} ms)"
        out += ["", title, "", latency_table(r)]
    if "live" in results:
        out += [
            "",
            f"## Live frames (a scripted {results['live']['seconds']:g}-second drag per live view; "
            "goal: frame interval median ≤ 17 ms, p95 ≤ 33 ms, 0 reruns during the drag, 1 after)",
            "",
            live_frames.table(results["live"]),
        ]
    if "ddpm" in results:
        out += [
            "",
            "## The DDPM in the browser (T = 1000 exact steps; CPU throttled ×4 as a phone, ×1 the baseline)",
            "",
            ddpm_browser.table(results["ddpm"]),
        ]
    if "cold" in results:
        out += [
            "",
            f"## Cold start (fresh server each run, {results['cold']['repeats']} runs)",
            "",
            cold_table(results["cold"]),
        ]
    if "memory" in results:
        out += ["", "## Server memory (RSS)", "", memory_table(results["memory"])]
    if "load" in results:
        think = results["load"].get("think_s", ("?", "?"))
        out += [
            "",
            f"## Classroom load (websocket clients; pause between moves {think[0]}–{think[1]} s)",
            "",
            load_table(results["load"]),
        ]
    if "cluster" in results:
        out += [
            "",
            "## Several replicas behind HAProxy (python -m deploy.serve; sticky websocket clients)",
            "",
            cluster_table(results["cluster"]),
        ]
        kills = [r for r in results["cluster"] if r.get("kills")]
        if kills:
            out += ["", "### A replica killed mid-class", "", kill_table(kills)]
    for key, title in (("weight", "plain streamlit run"), ("weight_hosted", "hosted path")):
        if key in results:
            out += [
                "",
                f"## Bytes on the wire, a phone's first visit ({title}; ≤ {page_weight.PAGE_MB:g} MB per page, "
                f"≤ {page_weight.LESSON_MB:g} MB /lesson)",
                "",
                page_weight.table(results[key]),
            ]
    out += ["", "## How busy the machine was", "", noise_table(noise, info["nproc"])]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 moves, 1 cold start, 20 s load")
    parser.add_argument("--only", action="append", choices=ALL_SECTIONS, help="run only these (repeatable)")
    parser.add_argument("--moves", type=int, help="latency moves per target (default 20, quick 6)")
    parser.add_argument(
        "--slider",
        action="append",
        default=[],
        metavar="SLUG=INDEX",
        help="which slider to move on a page (0 = first in the main area)",
    )
    parser.add_argument("--repeats", type=int, help="cold starts per page (default 3, quick 1)")
    parser.add_argument("--sessions", type=int, default=30, help="sessions for the memory test")
    parser.add_argument("--clients", type=int, default=30, help="students in the load test")
    parser.add_argument("--duration", type=float, help="load test seconds (default 120, quick 20)")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(0.5, 1.5),
        metavar=("MIN", "MAX"),
        help="seconds a student pauses between slider moves (uniform; default 0.5 1.5)",
    )
    parser.add_argument(
        "--load-page",
        action="append",
        dest="load_pages",
        metavar="PAGE",
        help="load test only on this page (url path or slug; repeatable; default all)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        nargs="+",
        default=[1, 2],
        help="cluster: replica counts, one launcher each, runs interleaved (default 1 2)",
    )
    parser.add_argument(
        "--cluster-clients",
        type=int,
        nargs="+",
        default=[30, 60, 100],
        metavar="N",
        help="cluster: class sizes (default 30 60 100); seconds per run: --duration (default 25)",
    )
    parser.add_argument(
        "--kill-at",
        type=float,
        metavar="S",
        help="cluster: kill replica 1 this many seconds into each run (it is restarted)",
    )
    parser.add_argument(
        "--weight-hosted",
        action="store_true",
        help="weight: also through python -m deploy.serve --replicas 2 (needs haproxy)",
    )
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)
    args.argv = argv
    moves = args.moves or (6 if args.quick else 20)
    repeats = args.repeats or (1 if args.quick else 3)
    duration = args.duration or (20.0 if args.quick else 120.0)
    sections = args.only or list(SECTIONS)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    info = machine_info()
    results, noise = {}, {}
    if "latency" in sections:
        results["latency"] = timed(
            "latency",
            latency.run,
            noise,
            moves,
            latency.parse_sliders(args.slider),
            quiet_ms=300 if args.quick else 400,
            warmup=1 if args.quick else 2,
            log=log,
        )
    if "live" in sections:
        results["live"] = timed("live frames", live_frames.run, noise, 2.0, log=log)
    if "ddpm" in sections:
        results["ddpm"] = timed("ddpm browser", ddpm_browser.run, noise, log=log)
    if "cold" in sections:
        results["cold"] = timed("cold start", cold_start.run, noise, repeats, log=log)
    if "memory" in sections:
        results["memory"] = timed("memory", memory.run, noise, args.sessions, log=log)
    if "load" in sections:
        results["load"] = timed(
            "load", load.run, noise, args.clients, duration, tuple(args.think), args.load_pages, log=log
        )
    if "cluster" in sections:
        results["cluster"] = timed(
            "cluster",
            cluster.run,
            noise,
            args.replicas,
            args.cluster_clients,
            args.duration or 25.0,
            tuple(args.think),
            args.kill_at,
            log=log,
        )
    if "weight" in sections:
        results["weight"] = timed("page weight", page_weight.run, noise, log=log)
        if args.weight_hosted:
            results["weight_hosted"] = timed("page weight (hosted)", page_weight.run, noise, True, 2, log=log)
    text = report(info, results, noise, args)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "results": results, "noise": noise}, indent=1, ensure_ascii=False, default=str)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
