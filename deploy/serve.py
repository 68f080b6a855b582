"""Serve the app to a class without Docker: N replicas behind HAProxy, sticky by cookie.

    python -m deploy.serve --replicas 2 --port 8501

Starts Redis (the live class's shared store: a class started on one replica is followed and voted
on through every other, and a replica killed mid-class loses nothing), N ``streamlit run app.py``
processes (given ``ELBO_CLASS_REDIS_URL``) and HAProxy with ``deploy/haproxy.cfg`` — the file
``compose.yaml`` uses — and keeps them running: a replica that dies is restarted (after 0.5 s,
backing off to 30 s if it keeps dying at once); so is Redis. Ctrl-C or SIGTERM stops HAProxy, then
every replica, then Redis (terminate, kill after 10 s). ``--redis-url`` uses a Redis of your own
instead (nothing is started); Debian's package is ``redis-server``.

How it mirrors Docker, so that one HAProxy file serves both: each replica listens on its own
loopback address (127.77.0.1, .2, …; Linux routes all of 127.0.0.0/8 to the loopback device) on
one port, and a tiny DNS server (``deploy/dns.py``) answers the replicas' name with those
addresses, as Docker's DNS answers the compose service's name with one address per container.
HAProxy's ``server-template`` does the rest. Linux only (other systems have just 127.0.0.1 on
loopback); on macOS or Windows use ``docker compose up``.

``--status-file`` writes the current pids and addresses as JSON (for the tests and benchmarks).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy.dns import TinyDNS

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
APP_HOST = "replicas.classroom.internal"
SUBNET = "127.77.0"
HAPROXY_CANDIDATES = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
REDIS_CANDIDATES = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
REDIS_URL_ENV = "ELBO_CLASS_REDIS_URL"  # read by ui/classroom/store.py
RESTART_DELAY_S, MAX_RESTART_DELAY_S, QUICK_DEATH_S = 0.5, 30.0, 10.0


def haproxy_path() -> str | None:
    """Debian puts haproxy in /usr/sbin, often not on a normal user's PATH."""
    for candidate in HAPROXY_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("haproxy")


def redis_server_path() -> str | None:
    for candidate in REDIS_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("redis-server")


def redis_ping(host: str, port: int, timeout: float = 2.0) -> bool:
    """Redis answers PING (RESP over a plain socket: no client library in the launcher)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the launcher itself is killed (Linux), so nothing is orphaned."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port_on(addresses: list[str]) -> int:
    """A TCP port free on every one of `addresses`."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = probe.getsockname()[1]
        try:
            for address in addresses:
                with socket.socket() as sock:
                    sock.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free on all of {addresses}")


def lan_address() -> str | None:
    """The address other machines on the LAN reach this one at (no packet is sent)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("10.255.255.255", 1))
        address = sock.getsockname()[0]
        return None if address.startswith("127.") else address
    return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Terminate; kill if still there after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@dataclass
class Replica:
    index: int  # 1-based
    address: str
    port: int
    log_path: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_deaths: int = 0  # consecutive deaths soon after a start
    restart_at: float | None = None  # when a dead replica is due to be started again

    def info(self) -> dict:
        return {
            "index": self.index,
            "address": self.address,
            "port": self.port,
            "pid": self.proc.pid if self.proc and self.proc.poll() is None else None,
            "restarts": self.restarts,
            "log": str(self.log_path),
        }


@dataclass
class Cluster:
    """Redis + N replicas + DNS + HAProxy. ``start()``, then ``supervise()`` until stopped, then ``stop()``."""

    replicas: int = 2
    port: int = 8501
    host: str = ""  # HAProxy's bind address; "" = every interface (students on the LAN)
    app_port: int = 0  # every replica's port; 0 = a free one
    script: str = "app.py"
    log_dir: Path | None = None
    status_file: Path | None = None
    haproxy: str | None = None
    streamlit_args: tuple[str, ...] = ()
    redis_url: str | None = None  # a Redis of your own; None: start redis-server on a free port
    members: list[Replica] = field(default_factory=list)
    lb: subprocess.Popen | None = None
    redis: subprocess.Popen | None = None
    redis_port: int = 0
    dns: TinyDNS | None = None
    stopping: bool = False
    _cookie_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host or '127.0.0.1'}:{self.port}"

    def haproxy_env(self) -> dict[str, str]:
        """The variables deploy/haproxy.cfg reads (compose.yaml sets the same ones)."""
        return {
            "LB_BIND": f"{self.host}:{self.port}",
            "REPLICAS": str(self.replicas),
            "APP_HOST": APP_HOST,
            "APP_PORT": str(self.app_port),
            "DNS_SERVER": self.dns.address if self.dns else "",
            "COOKIE_KEY": self._cookie_key,
        }

    # ------------------------------------------------------------------ start
    def start(self, timeout: float = 120.0) -> Cluster:
        if self.replicas < 1:
            raise ValueError("--replicas must be at least 1")
        self.haproxy = self.haproxy or haproxy_path()
        if not self.haproxy:
            raise RuntimeError("haproxy not found (Debian/Ubuntu: sudo apt-get install haproxy)")
        self.log_dir = Path(self.log_dir or tempfile.mkdtemp(prefix="elbo-serve-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        addresses = [f"{SUBNET}.{i}" for i in range(1, self.replicas + 1)]
        self.app_port = self.app_port or free_port_on(addresses)
        self.members = [
            Replica(i, a, self.app_port, self.log_dir / f"replica{i}.log") for i, a in enumerate(addresses, start=1)
        ]
        try:
            if not self.redis_url:
                self._start_redis(timeout)
            for replica in self.members:
                self._spawn(replica)
            # HAProxy counts a server as up until its first check fails, so start it only once every
            # replica answers: /_lb/ready then means ready, and no early student meets a 503.
            self.wait_ready(timeout, self.replicas_healthy)
            self.dns = TinyDNS(APP_HOST, addresses).start()
            self._check_config()
            self._spawn_haproxy()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.write_status()
        return self

    @property
    def class_store_url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    def _start_redis(self, timeout: float) -> None:
        """redis-server on a free loopback port: in memory only (a class lives a few hours; nothing
        on disk), its own health check (PING) before any replica starts."""
        path = redis_server_path()
        if path is None:
            raise RuntimeError(
                "redis-server not found (Debian/Ubuntu: sudo apt-get install redis-server), or pass --redis-url"
            )
        self.redis_port = self.redis_port or free_port_on(["127.0.0.1"])
        with open(self.log_dir / "redis.log", "a") as out:
            self.redis = subprocess.Popen(
                [
                    path,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.log_dir),
                    "--maxmemory",
                    "256mb",
                    "--maxmemory-policy",
                    "volatile-ttl",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.wait_ready(timeout, self.redis_healthy)

    def redis_healthy(self) -> bool:
        if self.redis is not None and self.redis.poll() is not None:
            raise RuntimeError(f"redis-server exited (code {self.redis.returncode}); see {self.log_dir}/redis.log")
        return redis_ping("127.0.0.1", self.redis_port)

    def _spawn(self, replica: Replica) -> None:
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.address",
            replica.address,
            "--server.port",
            str(replica.port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *self.streamlit_args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", REDIS_URL_ENV: self.class_store_url}
        with open(replica.log_path, "a") as out:
            replica.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        replica.started_at = time.monotonic()
        replica.restart_at = None

    def _check_config(self) -> None:
        env = {**os.environ, **self.haproxy_env()}
        check = subprocess.run([self.haproxy, "-c", "-f", str(HAPROXY_CFG)], env=env, capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejected {HAPROXY_CFG}: {check.stdout}{check.stderr}")

    def _spawn_haproxy(self) -> None:
        env = {**os.environ, **self.haproxy_env()}
        with open(self.log_dir / "haproxy.log", "a") as out:
            self.lb = subprocess.Popen(
                [self.haproxy, "-db", "-f", str(HAPROXY_CFG)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def ready(self) -> bool:
        """HAProxy answers and sees every replica healthy."""
        return _answers(f"http://127.0.0.1:{self.port}/_lb/ready")

    def replicas_healthy(self) -> bool:
        return all(_answers(f"http://{r.address}:{r.port}/_stcore/health") for r in self.members)

    def wait_ready(self, timeout: float, condition=None) -> None:
        deadline = time.monotonic() + timeout
        while not (condition or self.ready)():
            if self.lb is not None and self.lb.poll() is not None:
                raise RuntimeError(f"haproxy exited (code {self.lb.returncode}); see {self.log_dir}/haproxy.log")
            for replica in self.members:
                if replica.proc is not None and replica.proc.poll() is not None:
                    raise RuntimeError(f"replica {replica.index} exited at start; see {replica.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready within {timeout:.0f} s; logs in {self.log_dir}")
            time.sleep(0.2)

    # ------------------------------------------------------------------ supervise
    def check_once(self) -> None:
        """Restart whatever died (replicas with back-off; HAProxy at once)."""
        now = time.monotonic()
        changed = False
        for replica in self.members:
            proc = replica.proc
            if proc is not None and proc.poll() is not None and replica.restart_at is None:
                quick = now - replica.started_at < QUICK_DEATH_S
                replica.quick_deaths = replica.quick_deaths + 1 if quick else 0
                delay = min(MAX_RESTART_DELAY_S, RESTART_DELAY_S * 2 ** max(0, replica.quick_deaths - 1))
                replica.restart_at = now + delay
                log(
                    f"replica {replica.index} ({replica.address}) exited with code {proc.returncode}; "
                    f"restarting in {delay:.1f} s"
                )
            if replica.restart_at is not None and now >= replica.restart_at:
                replica.restarts += 1
                self._spawn(replica)
                changed = True
        if self.redis is not None and self.redis.poll() is not None and not self.stopping:
            # the classes in it are gone; the replicas reconnect to the new one by themselves
            log(f"redis-server exited with code {self.redis.returncode}; restarting it")
            self._start_redis(30)
            changed = True
        if self.lb is not None and self.lb.poll() is not None:
            log(f"haproxy exited with code {self.lb.returncode}; restarting it")
            self._spawn_haproxy()
            changed = True
        if changed:
            self.write_status()

    def supervise(self, poll: float = 0.2) -> None:
        while not self.stopping:
            self.check_once()
            time.sleep(poll)

    def write_status(self) -> None:
        if not self.status_file:
            return
        status = {
            "url": self.url,
            "port": self.port,
            "app_port": self.app_port,
            "launcher_pid": os.getpid(),
            "haproxy_pid": self.lb.pid if self.lb else None,
            "log_dir": str(self.log_dir),
            "redis_pid": self.redis.pid if self.redis else None,
            "redis_url": self.class_store_url,
            "replicas": [r.info() for r in self.members],
        }
        tmp = Path(str(self.status_file) + ".tmp")
        tmp.write_text(json.dumps(status, indent=1))
        tmp.replace(self.status_file)  # readers never see half a file

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """HAProxy first (no new connections), then every replica at once, then Redis."""
        self.stopping = True
        stop_process(self.lb)
        for replica in self.members:
            if replica.proc is not None and replica.proc.poll() is None:
                replica.proc.terminate()
        for replica in self.members:
            stop_process(replica.proc)
        stop_process(self.redis)
        if self.dns is not None:
            self.dns.stop()
            self.dns = None


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes (about one per CPU core)")
    parser.add_argument("--port", type=int, default=8501, help="the port students open (HAProxy)")
    parser.add_argument("--host", default="", help="HAProxy's bind address (default: every interface)")
    parser.add_argument("--app-port", type=int, default=0, help="the replicas' port (default: a free one)")
    parser.add_argument("--script", default="app.py", help="the Streamlit script (default app.py)")
    parser.add_argument("--log-dir", type=Path, help="replica and HAProxy logs (default: a new temp dir)")
    parser.add_argument("--status-file", type=Path, help="write pids and addresses here as JSON")
    parser.add_argument(
        "--redis-url",
        help="the live class's store: a Redis of your own, e.g. "
        "redis://host:6379/0 (default: start redis-server on a free loopback port)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, _raise_exit)
    cluster = Cluster(
        args.replicas,
        args.port,
        args.host,
        args.app_port,
        args.script,
        args.log_dir,
        args.status_file,
        redis_url=args.redis_url,
    )
    try:
        log(f"starting Redis, {args.replicas} replicas and HAProxy (logs: {cluster.log_dir or 'a temp dir'}) …")
        cluster.start()
        lan = lan_address()
        log(
            f"ready: http://127.0.0.1:{args.port}"
            + (f" — students on the LAN: http://{lan}:{args.port}" if lan and args.host in ("", "0.0.0.0") else "")
        )
        log(f"logs in {cluster.log_dir}; Ctrl-C stops everything")
        cluster.supervise()
    except SystemExit as exc:
        log("stopping …")
        return 0 if exc.code in (128 + signal.SIGTERM, 128 + signal.SIGINT) else int(exc.code or 0)
    except (RuntimeError, TimeoutError, ValueError) as exc:
        log(f"error: {exc}")
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean stop
        cluster.stop()
        if args.status_file:
            with contextlib.suppress(OSError):
                args.status_file.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
