"""Self-hosting (deploy/): the launcher starts, restarts and stops its processes; HAProxy keeps a
browser on one replica (page requests and the websocket alike) and spreads new browsers; compose
and the launcher share one HAProxy file.

Tests that need HAProxy skip locally without it and fail under CI (CI=true), where .ci/run
installs it. Every wait polls with a deadline; no sleep is an assertion.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy import serve
from deploy.dns import TinyDNS, answer
from harness.server import free_port, launcher_command

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "benchmarks/apps/trivial.py"  # starts in well under a second; the launcher is under test
COOKIE = "STREAMLIT_REPLICA"


def _needs_haproxy() -> str:
    path = serve.haproxy_path()
    if path is None:
        reason = "haproxy is not installed (Debian: apt-get install haproxy)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"deploy tests cannot run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def _needs_redis() -> str:
    path = serve.redis_server_path()
    if path is None:
        reason = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"deploy tests cannot run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def poll(condition, timeout: float, what: str, every: float = 0.1):
    """Call `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """GET url → (X-Replica, the sticky cookie set, if any)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        set_cookie = response.headers.get("Set-Cookie") or ""
        value = set_cookie.split(";")[0].split("=", 1)[1] if set_cookie.startswith(COOKIE + "=") else None
        return response.headers["X-Replica"], value


def read_status(path: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    return None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) is not alive
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_lb/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def launcher(tmp_path: Path, replicas: int, script: str = TRIVIAL):
    """`python -m deploy.serve` as a user runs it; yields (process, port, status file)."""
    _needs_haproxy()
    _needs_redis()
    port = free_port()
    status = tmp_path / "status.json"
    cmd = launcher_command(replicas, port, status, tmp_path, script)
    with open(tmp_path / "launcher.log", "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        poll(lambda: proc.poll() is not None or (read_status(status) and ready(port)), 60, "the launcher")
        assert proc.poll() is None, (tmp_path / "launcher.log").read_text()
        yield proc, port, status
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in _all_pids(read_status(status) or {}):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _all_pids(status: dict) -> list[int]:
    pids = [status.get("haproxy_pid"), status.get("redis_pid"), *(r["pid"] for r in status.get("replicas", []))]
    return [p for p in pids if p]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two replicas of the trivial app behind HAProxy, for the whole module."""
    with launcher(tmp_path_factory.mktemp("cluster"), replicas=2) as running:
        yield running


# ----------------------------------------------------------------------------- no HAProxy needed
def _query(name: str, qtype: int = 1) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", qtype, 1)


def test_dns_answers_the_replicas_name_with_every_address():
    reply = answer(_query("Replicas.Example"), "replicas.example", ["127.77.0.1", "127.77.0.2"])
    ident, flags, qd, an = struct.unpack("!HHHH", reply[:8])
    assert (ident, flags & 0x8000, flags & 0xF, qd, an) == (0x1234, 0x8000, 0, 1, 2)
    assert [socket.inet_ntoa(reply[i - 4 : i]) for i in (len(reply) - 16, len(reply))] == ["127.77.0.1", "127.77.0.2"]
    assert struct.unpack("!HHHH", answer(_query("replicas.example", 28), "replicas.example", ["127.0.0.1"])[:8])[3] == 0
    assert answer(_query("other.example"), "replicas.example", ["127.0.0.1"])[3] & 0xF == 3  # NXDOMAIN


def test_dns_server_over_udp():
    dns = TinyDNS("replicas.example", ["127.77.0.9"]).start()
    try:
        host, port = dns.address.split(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.sendto(_query("replicas.example"), (host, int(port)))
            assert sock.recv(512).endswith(socket.inet_aton("127.77.0.9"))
    finally:
        dns.stop()


def test_compose_and_launcher_feed_the_same_haproxy_file():
    compose = (ROOT / "compose.yaml").read_text()
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose
    assert serve.HAPROXY_CFG == ROOT / "deploy" / "haproxy.cfg"
    config = serve.HAPROXY_CFG.read_text()
    code = "\n".join(line for line in config.splitlines() if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Z_]+)\}", code))
    assert used == set(serve.Cluster().haproxy_env())  # the launcher sets every variable the file reads …
    for name in used:  # … and so does compose
        assert re.search(rf"^\s+{name}: ", compose, flags=re.M), name
    assert "replicas: ${REPLICAS:-2}" in compose and "REPLICAS: ${REPLICAS:-2}" in compose  # one knob
    assert "cookie STREAMLIT_REPLICA insert" in config and "balance source" not in config


def test_compose_gives_every_replica_the_class_store():
    compose = (ROOT / "compose.yaml").read_text()
    assert "ELBO_CLASS_REDIS_URL: redis://redis:6379/0" in compose
    assert re.search(r"^  redis:\n    image: redis:", compose, flags=re.M)
    assert 'test: ["CMD", "redis-cli", "ping"]' in compose and "condition: service_healthy" in compose
    with contextlib.suppress(ImportError):
        import yaml

        services = yaml.safe_load(compose)["services"]
        assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services["app"]["environment"]["ELBO_CLASS_REDIS_URL"] == "redis://redis:6379/0"


def test_compose_file_validates():
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    result = subprocess.run(
        [tool, "-f", str(ROOT / "compose.yaml"), "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_kubernetes_manifest_is_complete():
    text = (ROOT / "deploy" / "k8s" / "elbo-vae.yaml").read_text()
    for needed in (
        "kind: Deployment",
        "kind: Service",
        "kind: Ingress",
        "readinessProbe:",
        "livenessProbe:",
        "{path: /_stcore/health, port: http}",
        "nginx.ingress.kubernetes.io/affinity: cookie",
        "runAsNonRoot: true",
    ):
        assert needed in text, needed
    assert "sessionAffinity: ClientIP" not in text  # would put a NATed class on one pod
    assert "ELBO_CLASS_REDIS_URL" in text and "redis-cli" in text  # the class's shared store, with a health check
    with contextlib.suppress(ImportError):
        import yaml  # not a project dependency; a structural check where it happens to be installed

        docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text)}
        app, service = docs["Deployment", "elbo-vae"], docs["Service", "elbo-vae"]
        container = app["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["port"] == container["ports"][0]["name"]
        assert service["spec"]["selector"] == app["spec"]["selector"]["matchLabels"]
        assert (
            docs["Ingress", "elbo-vae"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
            == service["metadata"]["name"]
        )
        # the pods find Redis by its Service's name and port
        redis_service = docs["Service", "elbo-vae-redis"]
        redis_pod = docs["Deployment", "elbo-vae-redis"]["spec"]["template"]
        assert redis_service["spec"]["selector"] == redis_pod["metadata"]["labels"]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["ELBO_CLASS_REDIS_URL"] == f"redis://elbo-vae-redis:{redis_service['spec']['ports'][0]['port']}/0"
        assert redis_pod["spec"]["containers"][0]["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]


def test_dockerfile_basics():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.12-slim" in text and "USER student" in text and "/_stcore/health" in text
    assert "torch-2.13.0%2Bcpu-cp312" in (ROOT / "requirements.txt").read_text()  # what the image installs


def test_haproxy_accepts_the_launchers_configuration(tmp_path):
    haproxy = _needs_haproxy()
    env = {**os.environ, **serve.Cluster(replicas=3, port=free_port()).haproxy_env(), "DNS_SERVER": "127.0.0.1:53"}
    result = subprocess.run([haproxy, "-c", "-f", str(serve.HAPROXY_CFG)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- stickiness
@pytest.mark.browser  # starts streamlit servers: the slow layer, out of `-m 'not browser'`
def test_same_cookie_same_replica_also_for_the_websocket(cluster):
    _, port, _ = cluster
    base = f"http://127.0.0.1:{port}"
    replica, cookie = get(base + "/")
    assert cookie, "HAProxy set no sticky cookie"
    assert {get(base + path, cookie)[0] for path in ("/", "/_stcore/health", "/?x=1") * 3} == {replica}

    import asyncio
    import concurrent.futures

    import websockets

    async def handshake() -> str:
        uri = f"ws://127.0.0.1:{port}/_stcore/stream"
        async with websockets.connect(
            uri, subprotocols=["streamlit"], additional_headers={"Cookie": f"{COOKIE}={cookie}"}
        ) as ws:
            return ws.response.headers["X-Replica"]

    # in a thread of its own: the browser tests' Playwright (sync API) may hold this thread's event loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        seen = {pool.submit(asyncio.run, handshake()).result() for _ in range(3)}
    assert seen == {replica}


def biggest_bundle_file() -> tuple[str, bytes]:
    """The largest JS chunk of Streamlit's frontend (PlotlyChart.*.js in 1.67): its URL path and bytes."""
    import streamlit

    js = Path(streamlit.__file__).parent / "static" / "static" / "js"
    path = max(js.glob("*.js"), key=lambda p: p.stat().st_size)
    return f"/static/js/{path.name}", path.read_bytes()


def fetch(url: str, gzip_ok: bool) -> tuple[dict, bytes]:
    """GET url → (headers, body as sent: still compressed when the answer is)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


@pytest.mark.browser  # starts streamlit servers: the slow layer, out of `-m 'not browser'`
def test_haproxy_gzips_what_a_replica_sends_plain(cluster):
    """The trivial app has no gzip of its own (no st.App middleware): what arrives compressed
    through HAProxy was compressed by HAProxy (deploy/haproxy.cfg "compression")."""
    import gzip

    _, port, status_path = cluster
    path, original = biggest_bundle_file()
    assert len(original) > 1_000_000
    replica = read_status(status_path)["replicas"][0]
    direct, body = fetch(f"http://{replica['address']}:{replica['port']}{path}", gzip_ok=True)
    assert "content-encoding" not in direct and body == original  # Streamlit leaves /static/ plain
    headers, body = fetch(f"http://127.0.0.1:{port}{path}", gzip_ok=True)
    assert headers.get("content-encoding") == "gzip" and "x-replica" in headers
    assert gzip.decompress(body) == original and len(body) < len(original) / 2
    headers, body = fetch(f"http://127.0.0.1:{port}{path}", gzip_ok=False)  # a client without gzip
    assert "content-encoding" not in headers and body == original


@pytest.mark.browser  # starts streamlit servers: the slow layer, out of `-m 'not browser'`
def test_new_browsers_spread_over_replicas(cluster):
    _, port, _ = cluster
    # every request comes from 127.0.0.1, like a classroom behind one NAT: IP stickiness would fail
    seen = [get(f"http://127.0.0.1:{port}/") for _ in range(8)]
    assert {replica for replica, _ in seen} == {"app1", "app2"}
    assert len({cookie for _, cookie in seen}) == 2  # one cookie value per replica


# ----------------------------------------------------------------------------- supervision
@pytest.mark.browser  # starts streamlit servers: the slow layer, out of `-m 'not browser'`
def test_a_killed_replica_and_a_killed_haproxy_are_restarted(cluster):
    _, port, status_path = cluster
    before = read_status(status_path)
    victim = before["replicas"][0]
    os.kill(victim["pid"], signal.SIGKILL)
    after = poll(
        lambda: (s := read_status(status_path)) and s["replicas"][0]["pid"] not in (None, victim["pid"]) and s,
        30,
        "the replica to be restarted",
    )
    assert after["replicas"][0]["restarts"] == victim["restarts"] + 1
    assert after["replicas"][1]["pid"] == before["replicas"][1]["pid"]  # the other one untouched
    poll(lambda: ready(port), 30, "HAProxy to see both replicas healthy again")

    os.kill(after["haproxy_pid"], signal.SIGKILL)
    poll(
        lambda: (s := read_status(status_path)) and s["haproxy_pid"] != after["haproxy_pid"],
        30,
        "HAProxy to be restarted",
    )
    poll(lambda: ready(port), 30, "the restarted HAProxy")


@pytest.mark.browser  # starts streamlit servers: the slow layer, out of `-m 'not browser'`
def test_sigterm_stops_every_process(tmp_path):
    with launcher(tmp_path, replicas=1) as (proc, port, status_path):
        pids = _all_pids(read_status(status_path))
        assert len(pids) == 3 and all(alive(p) for p in pids)  # HAProxy, Redis, the replica
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        poll(lambda: not any(alive(p) for p in pids), 15, "the replica, Redis and HAProxy to exit")
        assert not status_path.exists()
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


# ----------------------------------------------------------------------------- a live class on replicas
def class_call(
    base: str, path: str, body: dict | None = None, secret: str | None = None, cookie: str | None = None
) -> tuple[int, dict | None, str | None]:
    """One class API request → (status, JSON, the replica that answered when behind HAProxy)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if secret:
        headers["X-Class-Secret"] = secret
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/class/api{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers.get("X-Replica")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text or b"null"), error.headers.get("X-Replica")
        except ValueError:  # not the app's JSON: HAProxy's own error page
            return error.code, {"proxy": text[:200].decode(errors="replace")}, error.headers.get("X-Replica")


@pytest.fixture(scope="module")
def class_cluster(tmp_path_factory):
    """Two replicas of the real app (its class routes) behind HAProxy, with the launcher's Redis."""
    with launcher(tmp_path_factory.mktemp("class_cluster"), replicas=2, script="app.py") as running:
        yield running


def test_a_class_started_on_one_replica_is_followed_and_voted_on_through_the_other(class_cluster):
    _, port, status_path = class_cluster
    status = read_status(status_path)
    assert status["redis_url"].startswith("redis://127.0.0.1:") and alive(status["redis_pid"])
    one, two = (f"http://{r['address']}:{r['port']}" for r in status["replicas"])
    code_status, made, _ = class_call(one, "/new", {})
    assert code_status == 201
    code, secret = made["code"], made["secret"]
    assert (
        class_call(one, f"/{code}/teacher", {"action": "move", "step": 2, "question": "q", "options": 2}, secret)[0]
        == 200
    )
    seen = class_call(two, f"/{code}")[1]
    assert (seen["step"], seen["question"], seen["round"]) == (2, "q", 1)
    # through HAProxy, phones stuck to each replica vote; every vote lands in the one class
    cookies = {}
    for _ in range(8):
        replica, cookie = get(f"http://127.0.0.1:{port}/")
        cookies.setdefault(replica, cookie)
    assert set(cookies) == {"app1", "app2"}
    for i in range(10):
        replica = "app1" if i % 2 else "app2"
        status_code, _, answered_by = class_call(
            f"http://127.0.0.1:{port}",
            f"/{code}/vote",
            {"token": f"phone-token-{i:06d}", "question": "q", "round": 1, "option": i % 2},
            cookie=cookies[replica],
        )
        assert (status_code, answered_by) == (200, replica)
    assert class_call(two, f"/{code}", secret=secret)[1]["counts"] == {"1": [5, 5]}
    assert class_call(two, f"/{code}/teacher", {"action": "end"}, "not-the-secret")[0] == 403


def test_the_app_gzips_its_frontend_bundle_itself_behind_haproxy(class_cluster):
    """app.py's st.App middleware (deploy/static_gzip.py): the replica sends the bundle gzipped,
    HAProxy passes it on as it came."""
    import gzip

    _, port, status_path = class_cluster
    path, original = biggest_bundle_file()
    replica = read_status(status_path)["replicas"][0]
    direct, direct_body = fetch(f"http://{replica['address']}:{replica['port']}{path}", gzip_ok=True)
    assert direct.get("content-encoding") == "gzip" and gzip.decompress(direct_body) == original
    headers, body = fetch(f"http://127.0.0.1:{port}{path}", gzip_ok=True)
    assert headers.get("content-encoding") == "gzip" and gzip.decompress(body) == original
    assert len(body) == len(direct_body)  # not compressed twice, not re-encoded


def test_a_replica_killed_mid_class_loses_no_vote_and_no_step(class_cluster):
    _, port, status_path = class_cluster
    base = f"http://127.0.0.1:{port}"
    _, made, _ = class_call(base, "/new", {})
    code, secret = made["code"], made["secret"]
    class_call(base, f"/{code}/teacher", {"action": "move", "step": 7, "question": "q", "options": 3}, secret)
    cookie = {r: c for r, c in (get(base + "/") for _ in range(8))}["app1"]
    for i in range(30):
        assert (
            class_call(
                base,
                f"/{code}/vote",
                {"token": f"phone-token-{i:06d}", "question": "q", "round": 1, "option": i % 3},
                cookie=cookie,
            )[0]
            == 200
        )
    victim = read_status(status_path)["replicas"][0]
    os.kill(victim["pid"], signal.SIGKILL)
    # the phones stuck to the dead replica go on, on the other one (HAProxy redispatches them)
    for i in range(30, 60):
        status_code, _, replica = class_call(
            base,
            f"/{code}/vote",
            {"token": f"phone-token-{i:06d}", "question": "q", "round": 1, "option": i % 3},
            cookie=cookie,
        )
        assert (status_code, replica) == (200, "app2"), (i, status_code, _)
    teacher = class_call(base, f"/{code}", secret=secret)[1]
    assert (teacher["step"], teacher["counts"]) == (7, {"1": [20, 20, 20]})
    poll(
        lambda: (s := read_status(status_path)) and s["replicas"][0]["pid"] not in (None, victim["pid"]),
        30,
        "the replica to be restarted",
    )
    poll(lambda: ready(port), 60, "both replicas healthy again")
    restarted = read_status(status_path)["replicas"][0]
    view = class_call(f"http://{restarted['address']}:{restarted['port']}", f"/{code}", secret=secret)[1]
    assert (view["step"], view["counts"]) == (7, {"1": [20, 20, 20]})
