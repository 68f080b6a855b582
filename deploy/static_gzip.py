"""Gzip Streamlit's frontend bundle once per process, so `streamlit run` alone is light on a class's Wi-Fi.

    app = st.App(__file__, routes=..., middleware=[Middleware(StaticGzip)])   # app.py

Streamlit 1.67 compresses its own HTTP answers except ``/static/…`` (its JS/CSS bundle) and the root
document: its gzip middleware would compress those again on every request (its comment in
``streamlit/web/server/starlette/starlette_gzip_middleware.py``), and they are the biggest files a
first visit fetches — PlotlyChart.js alone is 4.7 MB, about 1.4 MB gzipped. Those files are
content-hashed and never change while the process runs, so this middleware compresses each one
**once** (zlib in a worker thread, which releases the GIL; one compression per file even when 120
phones ask at once) and keeps the result in a bounded in-memory cache: afterwards a request costs a
dictionary look-up instead of the uncompressed bytes on the wire.

What it does, only for ``GET …/static/…`` (Streamlit's bundle, and the app's own data files under
``/app/static/``, which Streamlit gzips anew for every request: 2.9 MB of model weights, 4.4 MB of
training frames) asked with ``Accept-Encoding: gzip`` and no ``Range``: Streamlit answers as usual
(its path checks, cache headers, 304s) but is not told the client takes gzip; a 200 of a
compressible type (JS, CSS, JSON, SVG, HTML, WASM, plain text, binary data; not fonts or images,
which are compressed already) of at least ``minimum_size`` bytes is sent gzipped with ``Content-Encoding: gzip``,
``Vary: Accept-Encoding``, the new ``Content-Length`` and the ETag made weak (``W/"…"``: the
bytes differ from the plain file's; Starlette's own 304 check accepts a weak tag back). Any other
request passes through untouched. Behind HAProxy with ``compression`` on (deploy/haproxy.cfg),
HAProxy leaves these already-compressed answers alone.

Imports starlette only (it ships with Streamlit), never streamlit.
"""

from __future__ import annotations

import asyncio
import gzip
import os
from collections import OrderedDict

COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/x-javascript",
    "application/json",
    "application/manifest+json",
    "application/wasm",
    "application/octet-stream",  # the app's own /app/static/ data: model weights, timeline frames
    "image/svg+xml",
)
ENV_OFF = "ELBO_STATIC_GZIP"  # "0": serve the bundle as Streamlit does (the benchmark's "before")


def _header(headers, name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (``gzip;q=0`` does not)."""
    if not accept_encoding:
        return False
    for part in accept_encoding.decode("latin-1").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def compressible(content_type: bytes | None) -> bool:
    if not content_type:
        return False
    kind = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    return kind.startswith(COMPRESSIBLE)


def weak(etag: bytes) -> bytes:
    return etag if etag.startswith(b"W/") else b"W/" + etag


class StaticGzip:
    """ASGI middleware: see the module's docstring. ``prefix``: the bundle's URL path (after
    ``root_path``); ``cache_bytes``: the compressed bytes kept (least recently used dropped first)."""

    def __init__(
        self,
        app,
        prefix: str = "/static/",
        minimum_size: int = 1024,
        level: int = 9,
        cache_bytes: int = 48 * 2**20,
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.minimum_size = minimum_size
        self.level = level
        self.cache_bytes = cache_bytes
        self.enabled = os.environ.get(ENV_OFF, "1") != "0"
        self._cache: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._cached_bytes = 0
        self._pending: dict[tuple[str, bytes], asyncio.Future] = {}
        self.compressions = 0  # files compressed so far (the tests count them)

    def _applies(self, scope) -> bool:
        if not self.enabled or scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            return False
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        headers = scope.get("headers", ())
        return (
            self.prefix in path
            and accepts_gzip(_header(headers, b"accept-encoding"))
            and _header(headers, b"range") is None
        )

    async def __call__(self, scope, receive, send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body = bytearray()

        async def capture(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            else:  # pathsend, trailers…: not ours to buffer
                raise RuntimeError(f"unexpected ASGI message {message['type']}")

        # Streamlit's own gzip would compress /app/static/ (the app's data files) again for every
        # request: it never sees an Accept-Encoding here, so the one compression is this cache's
        inner = {**scope, "headers": [(k, v) for k, v in scope.get("headers", ()) if k.lower() != b"accept-encoding"]}
        await self.app(inner, receive, capture)
        assert start is not None, "the app sent no response"
        headers = list(start.get("headers", []))
        status = start["status"]
        plain = bytes(body)
        etag = _header(headers, b"etag") or b""
        eligible = (
            status == 200
            and scope["method"] == "GET"
            and _header(headers, b"content-encoding") is None
            and compressible(_header(headers, b"content-type"))
            and len(plain) >= self.minimum_size
        )
        if not eligible:
            if status == 304 and etag:  # the gzip answer's tag came back: keep answering with it
                headers = [(k, weak(v) if k.lower() == b"etag" else v) for k, v in headers]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": plain})
            return
        packed = await self._compressed(scope["path"], etag or str(len(plain)).encode(), plain)
        drop = {b"content-length", b"content-encoding", b"etag"}
        out = [(k, v) for k, v in headers if k.lower() not in drop and k.lower() != b"vary"]
        vary = _header(headers, b"vary")
        out.append((b"vary", (vary + b", Accept-Encoding") if vary else b"Accept-Encoding"))
        out.append((b"content-encoding", b"gzip"))
        out.append((b"content-length", str(len(packed)).encode()))
        if etag:
            out.append((b"etag", weak(etag)))
        await send({**start, "headers": out})
        await send({"type": "http.response.body", "body": packed})

    async def _compressed(self, path: str, tag: bytes, plain: bytes) -> bytes:
        key = (path, tag)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._pending:  # another request is compressing this file: wait for its result
            return await asyncio.shield(self._pending[key])
        future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            # mtime=0: the same bytes every time (a stable Content-Length; nothing time-dependent)
            packed = await asyncio.to_thread(gzip.compress, plain, self.level, mtime=0)
            self.compressions += 1
            self._store(key, packed)
            future.set_result(packed)
            return packed
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._pending[key]

    def _store(self, key, packed: bytes) -> None:
        if len(packed) > self.cache_bytes:
            return
        self._cache[key] = packed
        self._cached_bytes += len(packed)
        while self._cached_bytes > self.cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= len(dropped)
