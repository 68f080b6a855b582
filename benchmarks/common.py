"""Shared pieces of the benchmarks: start/stop a Streamlit server, read its memory, summarise
samples, format the table.

Servers started here always stop (``try/finally``) — a benchmark must never leave a
``streamlit`` or Chromium process behind.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.browser import chromium
from harness.server import CHROMIUM_ARGS, ROOT, chromium_path, free_port, stop, wait_healthy

BENCH_DIR = Path(__file__).resolve().parent
TRIVIAL_APP = BENCH_DIR / "apps" / "trivial.py"

# The project config (.streamlit/config.toml) is read from the working directory. To run an app
# with Streamlit's defaults we start it from an empty temporary directory; these flags are the
# only ones we pass there: they change where and how the server listens, not how it reruns.
BASE_FLAGS = ("--server.headless", "true", "--browser.gatherUsageStats", "false")

__all__ = ["CHROMIUM_ARGS", "ROOT", "chromium", "chromium_path"]


def log(message: str) -> None:
    """Progress lines go to stderr, so stdout carries only the result."""
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- statistics
def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between order statistics.

    Same convention as ``numpy.percentile``'s default; NaN for no samples.
    """
    if not samples:
        return math.nan
    data = sorted(samples)
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50.0)


def p95(samples: Sequence[float]) -> float:
    return percentile(samples, 95.0)


def ratio(value: float, reference: float) -> float:
    """value / reference; NaN when either is missing or the reference is not positive."""
    if not (math.isfinite(value) and math.isfinite(reference)) or reference <= 0:
        return math.nan
    return value / reference


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    """A table cell: '—' for a missing number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}{unit}"


def verdict(value: float | None, target: float) -> str:
    """'✅' when value ≤ target, else '❌ (+x%)' — how far the target is missed."""
    if value is None or not math.isfinite(value):
        return "—"
    if value <= target:
        return "✅"
    return f"❌ (+{100 * (value / target - 1):.0f}%)"


# ----------------------------------------------------------------------------- memory
def _descendants(pid: int) -> list[int]:
    """pid and every process below it (Streamlit normally has no children)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                stack.extend(int(c) for c in task.read_text().split())
    return found


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of pid and its children, in MiB; NaN if it is gone."""
    total_kb = 0
    seen = False
    for proc in _descendants(pid):
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    seen = True
        except OSError:
            continue
    return total_kb / 1024 if seen else math.nan


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by pid and its children, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in _descendants(pid):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def own_tree_cpu_seconds() -> float:
    """CPU time of this process, its live descendants, and its waited-for dead children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in _descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    return total


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine have used since boot (all cores), in seconds."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def torch_loaded(pid: int) -> bool:
    """Whether the process has torch's shared library mapped (i.e. someone imported torch)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "libtorch" in maps


# ----------------------------------------------------------------------------- servers
@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    spawned_at: float  # time.time() just before the spawn (epoch seconds)
    ready_at: float  # first 200 from /_stcore/health (epoch seconds)
    log_path: Path
    _log_offset: int = field(default=0, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def new_log_errors(self) -> list[str]:
        """Tracebacks logged since the last call, one line each (the exception's last line)."""
        text = self.log()
        fresh, self._log_offset = text[self._log_offset :], len(text)
        return log_errors(fresh)


def log_errors(text: str) -> list[str]:
    """One entry per traceback in a server log: its final 'SomeError: message' line."""
    errors, in_traceback = [], False
    for line in text.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t")):
            errors.append(line.strip()[:200])
            in_traceback = False
    return errors


@contextlib.contextmanager
def serve(
    script: str | Path = "app.py", *, defaults: bool = False, extra_args: Sequence[str] = (), timeout: float = 90.0
) -> Iterator[Server]:
    """Run ``streamlit run script`` on a free port until the block ends.

    ``defaults=False``: from the repository root, so the project's .streamlit/config.toml
    applies (as in production). ``defaults=True``: the script is copied into an empty
    temporary directory and run from there, so no project config applies — Streamlit's
    defaults (runner.postScriptGC on, magic on, file watcher auto…).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench_streamlit_"))
    try:
        if defaults:
            target = tmp / Path(script).name
            shutil.copy(Path(ROOT, script), target)
            cwd, script_arg = tmp, str(target)
        else:
            cwd, script_arg = ROOT, str(script)
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script_arg,
            "--server.port",
            str(port),
            *BASE_FLAGS,
            *extra_args,
        ]
        log_path = tmp / "server.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if not defaults:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with open(log_path, "w") as log:
            spawned_at = time.time()
            proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_healthy(proc, base, timeout)
            yield Server(base, proc, spawned_at, time.time(), log_path)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- machine
def machine_info() -> dict[str, str]:
    """What the report's header needs: date, CPU, cores, RAM, versions."""
    info = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "nproc": str(os.cpu_count())}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram"] = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    with contextlib.suppress(OSError):
        info["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    info["python"] = platform.python_version()
    for name in ("streamlit", "torch", "plotly", "playwright"):
        try:
            from importlib.metadata import version

            info[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            info[name] = "not installed"
    path = chromium_path()
    if path:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
            info["chromium"] = out.stdout.strip()
    return info


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
