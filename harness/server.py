"""Start and stop `streamlit run` on a free port, and find Debian's Chromium.

Never calls `playwright install` (no downloads here): the browser is the system's /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    env = os.environ.get("CHROMIUM_PATH")
    if env and Path(env).exists():
        return env
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launcher_command(replicas: int, port: int, status: Path, log_dir: Path, script: str | None = None) -> list[str]:
    """``python -m deploy.serve`` as a user runs it, on 127.0.0.1:port, writing its status file and logs
    under ``log_dir`` (tests/test_deploy.py and benchmarks/cluster.py start their clusters with it)."""
    cmd = [sys.executable, "-m", "deploy.serve", "--replicas", str(replicas), "--port", str(port)]
    cmd += ["--host", "127.0.0.1", *(["--script", script] if script else [])]
    return [*cmd, "--status-file", str(status), "--log-dir", str(log_dir)]


def wait_healthy(proc: subprocess.Popen, base: str, timeout: float, poll: float = 0.02) -> None:
    """Block until the server at ``base`` answers /_stcore/health; fail fast if it exits."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}: {' '.join(map(str, proc.args))}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"streamlit did not answer on {base} within {timeout} s")
        time.sleep(poll)


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server; kill it if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def streamlit_server(
    script: str | Path = "app.py", port: int | None = None, timeout: float = 60.0, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Start `streamlit run script` on a free port; yield its base URL; stop it after. A port picked here
    may be taken by another process (another xdist worker's server) before streamlit binds it: then
    streamlit exits at once and the start is retried on another free port."""
    for attempt in range(3):
        try:
            proc, base, log = _start(script, port or free_port(), timeout, extra_args)
        except RuntimeError:  # exited before answering
            if port is not None or attempt == 2:
                raise
            continue
        break
    try:
        yield base
    finally:
        stop(proc)
        log.close()


def _start(script, port: int, timeout: float, extra_args: tuple[str, ...]):
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *extra_args,
    ]
    log = open(os.devnull, "w")  # noqa: SIM115 - closed by the caller (or on a failed start)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, base, timeout, poll=0.2)
    except BaseException:
        stop(proc)
        log.close()
        raise
    return proc, base, log
