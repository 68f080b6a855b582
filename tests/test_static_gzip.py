"""deploy/static_gzip.py: Streamlit's frontend bundle gzipped once per process (issue 22 item 8),
and the hosted configurations that compress (HAProxy for the launcher and compose; the app itself
in every image, which is what a Kubernetes pod serves).

The middleware is driven as ASGI directly around Starlette's own StaticFiles (what Streamlit serves
/static/ with), no server: the oracle for every gzipped answer is the file on disk."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import os
import re
from pathlib import Path

import pytest
from starlette.staticfiles import StaticFiles

from deploy import serve
from deploy.static_gzip import StaticGzip, accepts_gzip, compressible

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bundle(tmp_path):
    """A /static/ folder like Streamlit's: a big JS chunk, CSS, a font, a tiny file."""
    static = tmp_path / "static"
    static.mkdir()
    js = "".join(f"export const chunk{i} = function(a, b) {{ return a * {i} + b; }};\n" for i in range(4000))
    (static / "Chart.abc123.js").write_text(js)
    (static / "index.css").write_text("body { margin: 0; }\n" * 200)
    (static / "font.woff2").write_bytes(os.urandom(20_000))
    (static / "tiny.js").write_text("export {};\n")
    return tmp_path


def make(bundle_dir: Path, **kwargs) -> StaticGzip:
    return StaticGzip(StaticFiles(directory=bundle_dir), **kwargs)


def request_then_wait():
    """An ASGI receive: the (empty) request, then nothing until the response is done — as a server
    does while the client stays connected (Starlette's FileResponse listens for a disconnect)."""
    calls = 0

    async def receive():
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    return receive


def run(coroutine):
    """asyncio.run on a thread of its own: under xdist a browser test earlier in the same worker can
    leave Playwright's event loop installed on the main thread, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def request(app, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> list[dict]:
    """One request through the ASGI app, on the running loop → the messages the app sent."""
    sent = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "scheme": "http",
        "server": ("testserver", 80),
        "http_version": "1.1",
    }
    await app(scope, request_then_wait(), send)
    return sent


def body_of(sent: list[dict]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def call(app, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """One request through the ASGI app → (status, headers as a dict of lists, body)."""
    sent = run(request(app, path, headers, method))
    start = next(m for m in sent if m["type"] == "http.response.start")
    out: dict[str, list[str]] = {}
    for k, v in start["headers"]:
        out.setdefault(k.decode().lower(), []).append(v.decode())
    return start["status"], out, body_of(sent)


GZ = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def test_a_big_js_chunk_is_sent_gzipped_and_decodes_to_the_file(bundle):
    app = make(bundle)
    original = (bundle / "static" / "Chart.abc123.js").read_bytes()
    status, headers, body = call(app, "/static/Chart.abc123.js", GZ)
    assert status == 200
    assert headers["content-encoding"] == ["gzip"]
    assert headers["content-length"] == [str(len(body))]  # one length, the compressed one
    assert "Accept-Encoding" in headers["vary"][0]
    assert gzip.decompress(body) == original
    assert len(body) < len(original) / 5  # repetitive JS: far smaller
    assert headers["etag"][0].startswith('W/"')  # the gzip bytes are another representation
    assert headers["content-type"][0].startswith(("text/javascript", "application/javascript"))


def test_compressed_once_then_served_from_the_cache(bundle):
    app = make(bundle)
    bodies = {call(app, "/static/Chart.abc123.js", GZ)[2] for _ in range(5)}
    assert len(bodies) == 1 and app.compressions == 1  # the same bytes every time (mtime fixed)
    call(app, "/static/index.css", GZ)
    call(app, "/static/index.css", GZ)
    assert app.compressions == 2


def test_concurrent_requests_in_one_loop_share_one_compression(bundle):
    app = make(bundle)

    async def go():
        requests = [request(app, "/static/Chart.abc123.js", {"Accept-Encoding": "gzip"}) for _ in range(30)]
        return [body_of(sent) for sent in await asyncio.gather(*requests)]

    bodies = run(go())
    assert len(set(bodies)) == 1 and app.compressions == 1


def test_app_data_files_are_compressed_once_not_by_streamlit_per_request(bundle):
    """/app/static/…: Streamlit's own gzip would compress every request; the inner app is never told
    the client takes gzip, so the one compression is the cache's (binary data included)."""
    from starlette.middleware.gzip import GZipMiddleware

    data = bundle / "app" / "static" / "model"
    data.mkdir(parents=True)
    weights = bytes(range(256)) * 400  # 100 kB of "weights"
    (data / "vae_f32.bin").write_bytes(weights)
    seen = []

    async def inner(scope, receive, send):  # what Streamlit does: gzip whatever the client accepts
        seen.append(dict(scope["headers"]).get(b"accept-encoding"))
        await GZipMiddleware(StaticFiles(directory=bundle))(scope, receive, send)

    app = StaticGzip(inner)
    for _ in range(3):
        status, headers, body = call(app, "/app/static/model/vae_f32.bin", GZ)
        assert status == 200 and headers["content-encoding"] == ["gzip"] and gzip.decompress(body) == weights
    assert seen == [None, None, None] and app.compressions == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "br, gzip;q=0"}, {**GZ, "Range": "bytes=0-99"}],
    ids=["no accept-encoding", "identity", "gzip refused", "range"],
)
def test_plain_when_the_client_does_not_take_gzip_or_asks_a_range(bundle, headers):
    app = make(bundle)
    original = (bundle / "static" / "Chart.abc123.js").read_bytes()
    status, out, body = call(app, "/static/Chart.abc123.js", headers)
    assert "content-encoding" not in out
    if "Range" in headers:
        assert status == 206 and body == original[:100]
    else:
        assert status == 200 and body == original


@pytest.mark.parametrize("name", ["font.woff2", "tiny.js"])
def test_fonts_and_tiny_files_pass_through(bundle, name):
    app = make(bundle)
    status, out, body = call(app, f"/static/{name}", GZ)
    assert status == 200 and "content-encoding" not in out
    assert body == (bundle / "static" / name).read_bytes()
    assert app.compressions == 0


def test_outside_static_and_head_untouched(bundle):
    app = make(bundle)
    (bundle / "page.js").write_text("x = 1;\n" * 1000)
    status, out, body = call(app, "/page.js", GZ)
    assert status == 200 and "content-encoding" not in out and body == (bundle / "page.js").read_bytes()
    status, out, body = call(app, "/static/Chart.abc123.js", GZ, method="HEAD")
    assert status == 200 and "content-encoding" not in out and body == b""


def test_the_weak_etag_revalidates_to_304(bundle):
    app = make(bundle)
    _, headers, _ = call(app, "/static/Chart.abc123.js", GZ)
    status, out, body = call(app, "/static/Chart.abc123.js", {**GZ, "If-None-Match": headers["etag"][0]})
    assert status == 304 and body == b"" and out["etag"] == headers["etag"]


def test_switched_off_by_the_environment(bundle, monkeypatch):
    monkeypatch.setenv("ELBO_STATIC_GZIP", "0")
    status, out, _ = call(make(bundle), "/static/Chart.abc123.js", GZ)
    assert status == 200 and "content-encoding" not in out


def test_cache_is_bounded(bundle):
    app = make(bundle, cache_bytes=2000)
    call(app, "/static/Chart.abc123.js", GZ)  # larger than the whole cache: not kept
    call(app, "/static/Chart.abc123.js", GZ)
    assert app.compressions == 2 and app._cached_bytes <= 2000


def test_accept_encoding_and_type_parsing():
    assert accepts_gzip(b"gzip, deflate, br") and accepts_gzip(b"GZIP;q=0.5") and accepts_gzip(b"*")
    assert not accepts_gzip(None) and not accepts_gzip(b"br") and not accepts_gzip(b"gzip;q=0")
    assert compressible(b"text/javascript; charset=utf-8") and compressible(b"application/json")
    assert compressible(b"image/svg+xml") and compressible(b"application/wasm")
    assert compressible(b"application/octet-stream")
    assert not compressible(b"font/woff2") and not compressible(b"image/png") and not compressible(None)


# ----------------------------------------------------------------------------- the configurations
def _code(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_haproxy_compresses_text_types_in_the_backend():
    config = _code(serve.HAPROXY_CFG.read_text())
    backend = config.split("backend replicas", 1)[1]
    assert re.search(r"^\s+compression algo gzip\s*$", backend, flags=re.M)
    types = re.search(r"^\s+compression type (.+)$", backend, flags=re.M).group(1).split()
    for needed in (
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "application/wasm",
    ):
        assert needed in types, needed
    assert "compression offload" not in config  # the replicas' cached gzip stays in use


def test_compose_and_the_image_serve_compressed():
    compose = (ROOT / "compose.yaml").read_text()
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose  # HAProxy's compression
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "deploy" not in ignored and "deploy/static_gzip.py" not in ignored  # the middleware is in the image
    assert 'CMD ["streamlit", "run", "app.py"' in (ROOT / "Dockerfile").read_text()
    k8s = (ROOT / "deploy" / "k8s" / "elbo-vae.yaml").read_text()
    assert "static_gzip" in k8s  # the manifest says where its compression comes from


def test_the_app_installs_the_middleware():
    import importlib

    app_module = importlib.import_module("app")  # imported (not run): builds st.App
    kinds = [m.cls for m in app_module.app._user_middleware]
    assert StaticGzip in kinds
