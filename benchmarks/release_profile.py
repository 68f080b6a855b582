"""Where one release goes: a per-page profile of the rerun a slider release costs (issue 24, item 1).

For each page, one browser tab moves the page's first slider (or live control) ``--moves`` times,
as benchmarks/latency.py does, against a server started by this module with a profiling hook in
Streamlit's script thread. Per release it reports

* **server CPU ms** of the whole process (``/proc``; script thread + the event loop that
  serialises and sends the messages), measured in a pass *without* the profiler;
* **script thread CPU ms** (``time.thread_time`` around ``ScriptRunner._run_script``), same pass;
* the script thread's time **by part**, from a second pass in which a sampling thread reads the
  script thread's stack every 0.5 ms and weighs each sample by the CPU time the thread used since
  the one before (``time.pthread_getcpuclockid``); each sample goes to the outermost frame that
  names a part, so the parts never overlap (a figure built inside a cached call is "cached"). The
  shares are scaled to the first pass's ms:
  ``cached`` (inside ``st.cache_data`` / ``st.cache_resource`` wrappers, hashing included),
  ``plotly→json`` (``st.plotly_chart`` turning a figure into its message), ``figures`` (building
  Plotly figures: ``ui/figures_*.py``, ``plotly.graph_objs``), ``arrow`` (dataframes),
  ``latex/markdown/metrics`` and other Streamlit elements, ``live`` (the ui/live wrappers), and the
  rest (``page & runner``: the page's own code, ``vae_core``, numpy, Streamlit's runner and widgets);
* **browser ms**: release → settled (the same clock as latency.py), and the browser's share of it:
  last websocket message → last DOM change, the main-thread long-task time after the release, and
  (second pass, V8's sampling profiler over CDP) the main thread's time by part: plotly.js, KaTeX,
  the live views' modules, protobuf decoding, the browser's own style/layout/paint/GC, and the rest
  (React, Streamlit's frontend).

``python -m benchmarks.release_profile --moves 10 [--pages latent elbo]``; ``--top 15`` also
prints each page's most expensive functions (cumulative) from the profiled pass.

The server is ``python -m benchmarks.release_profile --serve <streamlit args>``: it installs the
hook, then runs Streamlit's own CLI. The hook profiles a run only while the file named by
``RELEASE_PROFILE_DIR``/``recording`` holds a page slug (so page loads and warm-up moves are not
counted), and writes its numbers after every recorded run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

RECORDING = "recording"

# Parts of the script thread, matched on "path:function" of the outermost frame that names one.
PARTS = (
    ("cached", ("streamlit/runtime/caching/",)),
    ("plotly→json", ("streamlit/elements/plotly_chart.py",)),
    ("figures", ("/ui/figures_", "/ui/plots.py:figure", "plotly/graph_objs/", "plotly/basedatatypes.py")),
    ("arrow", ("streamlit/elements/arrow.py", "streamlit/dataframe_util.py", "pyarrow/", "pandas/")),
    ("live", ("/ui/live/",)),
    ("latex/markdown/metrics", ("streamlit/elements/markdown.py", "streamlit/elements/metric.py")),
    ("other st elements", ("streamlit/elements/", "streamlit/delta_generator")),
)
PART_NAMES = [name for name, _ in PARTS]
COLUMNS = [*PART_NAMES, "page & runner"]


# ----------------------------------------------------------------------------- the server's hook
def _part(filename: str, function: str) -> str | None:
    where = f"{filename}:{function}"
    for name, needles in PARTS:
        if any(n in where for n in needles):
            return name
    return None


def _project_frame(code) -> bool:
    path = code.co_filename
    return "/site-packages/" not in path and any(f"/{d}/" in path for d in ("views", "ui", "vae_core"))


def _sample(tid: int, stop, parts: dict, top: dict, interval: float = 0.0005) -> None:
    """Sample thread `tid`'s stack until `stop` is set; each sample weighs the CPU time the thread used
    since the last one, and goes to the outermost frame that names a part (else "page & runner"),
    and in `top` to the innermost frame of the project's own code (views, ui, vae_core)."""
    clock = time.pthread_getcpuclockid(tid)
    last = time.clock_gettime(clock)
    while not stop.is_set():
        time.sleep(interval)
        frame = sys._current_frames().get(tid)
        try:
            now = time.clock_gettime(clock)
        except OSError:  # the thread has ended
            return
        weight, last = now - last, now
        stack = []
        while frame is not None:
            stack.append(frame.f_code)
            frame = frame.f_back
        part = next((p for c in reversed(stack) if (p := _part(c.co_filename, c.co_name))), "page & runner")
        parts[part] = parts.get(part, 0.0) + weight
        mine = next((c for c in stack if _project_frame(c)), None)
        name = f"{Path(mine.co_filename).parent.name}/{Path(mine.co_filename).name}:{mine.co_name}" if mine else part
        top[name] = top.get(name, 0.0) + weight


def install(out_dir: Path) -> None:
    """Wrap ScriptRunner._run_script: time (and, for a ``prof:`` slug, sample) the recorded runs."""
    import threading

    from streamlit.runtime.scriptrunner import script_runner

    flag = out_dir / RECORDING
    runs: dict[str, list[list[float]]] = defaultdict(list)  # slug → [thread cpu s, wall s] per run
    parts: dict[str, dict[str, float]] = defaultdict(dict)  # slug → part → CPU s (sampled)
    top: dict[str, dict[str, float]] = defaultdict(dict)  # slug → project function → CPU s (sampled)
    original = script_runner.ScriptRunner._run_script

    def _run_script(self, rerun_data):
        try:
            slug = flag.read_text().strip()
        except OSError:
            slug = ""
        if not slug:
            return original(self, rerun_data)
        sampler, stop = None, threading.Event()
        if slug.startswith("prof:"):
            args = (threading.get_ident(), stop, parts[slug], top[slug])
            sampler = threading.Thread(target=_sample, args=args, daemon=True)
            sampler.start()
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        try:
            return original(self, rerun_data)
        finally:
            runs[slug].append([time.thread_time() - cpu0, time.perf_counter() - wall0])
            if sampler:
                stop.set()
                sampler.join()
            # Written after every recorded run (Streamlit's SIGTERM exit skips atexit), after the clock stops.
            (out_dir / "runs.json").write_text(json.dumps({"runs": runs, "parts": parts, "top": top}))

    script_runner.ScriptRunner._run_script = _run_script


def _serve_main(args: list[str]) -> None:
    install(Path(os.environ["RELEASE_PROFILE_DIR"]))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    cli.main()


# ----------------------------------------------------------------------------- the benchmark
@contextlib.contextmanager
def profiled_server(out_dir: Path):
    from benchmarks.common import BASE_FLAGS, ROOT
    from harness.server import free_port, stop, wait_healthy

    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RELEASE_PROFILE_DIR": str(out_dir)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "benchmarks.release_profile", "--serve", "app.py", "--server.port", str(port)]
    with open(out_dir / "server.log", "w") as log_file:
        proc = subprocess.Popen([*cmd, *BASE_FLAGS], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    try:
        wait_healthy(proc, f"http://127.0.0.1:{port}", 90)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


# After each move: the last websocket message and the long tasks since the release (browser side).
BROWSER_JS = """() => {
  const b = window.__bench, start = Math.max(b.key, window.__liveRelease || 0);
  const busy = (window.__longTasks || []).filter(([t]) => t >= start).reduce((s, [, d]) => s + d, 0);
  return {tail: b.last - Math.max(start, b.lastMsg || 0), busy};
}"""
LONGTASK_JS = """(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) { /* no long-task timing in this browser */ }
})();"""


# The browser's JavaScript by part, from V8's sampling profiler (self time of each function, by the
# script it lives in). Left out: idle, "(program)" (native work V8 cannot attribute) and scripts
# with no URL (the benchmark's own polling). Style, layout and paint are not in a V8 profile.
BROWSER_PARTS = (
    ("plotly.js", ("PlotlyChart.",)),
    ("KaTeX", ("katex", "StreamlitMarkdown.")),
    ("live views", ("/app/static/live/",)),
    ("protobuf", ("protobuf.",)),
    ("GC", ("(garbage collector)",)),
    ("React & rest", ("/static/js/",)),
)
BROWSER_COLUMNS = [name for name, _ in BROWSER_PARTS]


def browser_parts(profile: dict) -> dict[str, float]:
    """Milliseconds of main-thread time by BROWSER_PARTS in a CDP ``Profiler.stop`` profile (idle left out)."""
    where = {}
    for node in profile["nodes"]:
        frame = node["callFrame"]
        key = frame["url"] or frame["functionName"]
        where[node["id"]] = next((n for n, needles in BROWSER_PARTS if any(x in key for x in needles)), None)
    out = dict.fromkeys(BROWSER_COLUMNS, 0.0)
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        name = where.get(node_id)
        if name:
            out[name] += delta / 1000
    return out


def _browser_moves(browser, target, moves, flag: Path, slug: str, pid: int, cpu_profile: bool = False) -> dict:
    """Warm up unrecorded, then `moves` recorded moves; → browser ms and process CPU per release."""
    from benchmarks.common import cpu_seconds
    from benchmarks.latency import _move, _open

    context, page = _open(browser, target, 15_000)
    page.evaluate(LONGTASK_JS)
    out = {"settled_ms": [], "tail_ms": [], "busy_ms": []}
    cdp = None
    try:
        for step in range(2):
            _move(page, target, step, 400, 15_000)
        if cpu_profile:
            cdp = context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 250})
            cdp.send("Profiler.start")
        flag.write_text(slug)
        cpu0 = cpu_seconds(pid)
        for step in range(moves):
            elapsed = _move(page, target, step, 400, 15_000)
            if elapsed is None:
                break
            extra = page.evaluate(BROWSER_JS)
            out["settled_ms"].append(elapsed)
            out["tail_ms"].append(extra["tail"])
            out["busy_ms"].append(extra["busy"])
        done = max(1, len(out["settled_ms"]))
        out["process_cpu_ms"] = 1000 * (cpu_seconds(pid) - cpu0) / done
        if cdp:  # includes the quiet 400 ms after each move: idle, left out
            parts = browser_parts(cdp.send("Profiler.stop")["profile"])
            out["browser_parts_ms"] = {k: v / done for k, v in parts.items()}
    finally:
        flag.write_text("")
        with contextlib.suppress(Exception):
            context.close()
    return out


def run(moves: int = 10, pages: list[str] | None = None, log=None) -> dict:
    from benchmarks.common import chromium, median
    from benchmarks.common import log as default_log
    from benchmarks.latency import Target
    from ui.registry import built_pages

    log = log or default_log
    infos = [p for p in built_pages() if not pages or p.slug in pages]
    out_dir = Path(tempfile.mkdtemp(prefix="release_profile_"))
    flag = out_dir / RECORDING
    flag.write_text("")
    result: dict = {"moves": moves, "load": os.getloadavg(), "pages": {}}
    with profiled_server(out_dir) as (proc, base), chromium() as browser:
        for info in infos:
            target = Target(info.slug, "page", f"{base}/{info.url_path}?lang=en", pid=proc.pid)
            plain = _browser_moves(browser, target, moves, flag, info.slug, proc.pid)
            profiled = _browser_moves(browser, target, moves, flag, f"prof:{info.slug}", proc.pid, cpu_profile=True)
            result["pages"][info.slug] = {
                "settled_ms": median(plain["settled_ms"]),
                "tail_ms": median(plain["tail_ms"]),
                "busy_ms": median(plain["busy_ms"]),
                "process_cpu_ms": plain["process_cpu_ms"],
                "profiled_settled_ms": median(profiled["settled_ms"]),
                "browser_parts_ms": profiled.get("browser_parts_ms", {}),
                "errors": target.errors,
            }
            log(f"  release profile: {info.slug} done")
    saved = json.loads((out_dir / "runs.json").read_text())
    for slug, page in result["pages"].items():
        plain, sampled = saved["runs"].get(slug, []), saved["runs"].get(f"prof:{slug}", [])
        page["script_cpu_ms"] = 1000 * median([r[0] for r in plain]) if plain else float("nan")
        page["script_wall_ms"] = 1000 * median([r[1] for r in plain]) if plain else float("nan")
        parts = saved["parts"].get(f"prof:{slug}", {})
        total = sum(parts.values())
        if not total:
            continue
        # shares of the sampled pass, scaled to the plain pass's script-thread ms
        page["parts_ms"] = {k: page["script_cpu_ms"] * parts.get(k, 0.0) / total for k in COLUMNS}
        functions = sorted(saved["top"][f"prof:{slug}"].items(), key=lambda kv: -kv[1])[:15]
        page["top"] = [(name, 1000 * s / max(1, len(sampled))) for name, s in functions]
    result["out_dir"] = str(out_dir)
    return result


def table(result: dict) -> str:
    from benchmarks.common import fmt, markdown_table

    header = ["page", "release → settled", "browser tail", "long tasks", "server CPU", "script thread", *COLUMNS]
    rows = []
    for slug, p in result["pages"].items():
        parts = p.get("parts_ms", {})
        rows.append(
            [
                slug,
                fmt(p["settled_ms"]),
                fmt(p["tail_ms"]),
                fmt(p["busy_ms"]),
                fmt(p["process_cpu_ms"]),
                fmt(p["script_cpu_ms"]),
                *(fmt(parts.get(k), 1) for k in COLUMNS),
            ]
        )
    server = markdown_table(header, rows)
    rows = [
        [slug, *(fmt(p["browser_parts_ms"].get(k), 1) for k in BROWSER_COLUMNS)]
        for slug, p in result["pages"].items()
        if p.get("browser_parts_ms")
    ]
    return (
        server
        + "\n\nBrowser JavaScript per release (ms, V8 sampling profile):\n\n"
        + markdown_table(["page", *BROWSER_COLUMNS], rows)
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        _serve_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--pages", nargs="*", default=None, help="page slugs (default: every built page)")
    parser.add_argument("--top", type=int, default=0, help="also print each page's top functions")
    parser.add_argument("--json", type=Path, default=None, help="write the whole result here")
    args = parser.parse_args(argv)
    result = run(args.moves, args.pages)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"load average {' '.join(f'{v:.2f}' for v in result['load'])}; ms per release, medians of {args.moves}")
    print(table(result))
    for slug, page in result["pages"].items():
        if args.top and page.get("top"):
            print(f"\n{slug} (sampled CPU ms per release, innermost project frame):")
            for name, ms in page["top"][: args.top]:
                print(f"  {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
