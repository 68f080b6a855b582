"""Bytes on the wire for a first visit to each page, as a phone meets it (issue 22 item 8).

    python -m benchmarks.page_weight                       # plain `streamlit run app.py`
    python -m benchmarks.page_weight --hosted --replicas 2 # python -m deploy.serve (HAProxy in front)
    python -m benchmarks.page_weight --page latent --page lesson --json /tmp/w.json

Each page is opened once in a fresh Chromium context (no cache, no cookies) with a phone's viewport
(390 × 844, touch, mobile), left until it has settled (``harness.browser.wait_settled``, then no
HTTP request in flight for 0.5 s), and its bytes are counted through the DevTools protocol:

- HTTP: ``Network.loadingFinished``'s ``encodedDataLength`` per request — the bytes as transferred
  (compressed when the server compressed; headers included), not the decoded size;
- the websocket: every frame's payload, both ways (``Network.webSocketFrameReceived/Sent``). The
  protocol reports frames decompressed, so where the socket negotiated ``permessage-deflate`` this
  is an upper bound; the table says whether it did.

Per page: total MB (10⁶ bytes, as the issue counts), HTTP and websocket parts, the number of
requests, and the five biggest resources with their ``Content-Encoding``. Targets: every page
≤ 4 MB, ``/lesson`` (step 1) ≤ 1.5 MB.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/page_weight.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import log as default_log  # noqa: E402
from benchmarks.common import markdown_table, serve  # noqa: E402
from harness.browser import chromium, new_context, new_page, wait_settled  # noqa: E402
from ui.registry import HOME, LESSON, built_pages  # noqa: E402

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
PAGE_MB, LESSON_MB = 4.0, 1.5
MB = 1e6


def target_mb(page: str) -> float:
    return LESSON_MB if page == "lesson" else PAGE_MB


def page_paths(only: list[str] | None = None) -> list[str]:
    """Every page's URL path (home is ""), in the registry's order; ``only`` filters by url path or slug."""
    pages = [HOME, LESSON, *built_pages()]
    if only:
        pages = [p for p in pages if p.url_path in only or p.slug in only or (p is HOME and "home" in only)]
    return [p.url_path for p in pages]


def frame_bytes(frame: dict) -> int:
    """A websocket frame's payload size: text frames as UTF-8, binary ones (opcode 2) come base64."""
    data = frame.get("payloadData", "")
    if frame.get("opcode") == 2:
        return len(base64.b64decode(data)) if data else 0
    return len(data.encode())


class WireCounter:
    """Bytes a page receives and sends, from the DevTools protocol (see the module's docstring)."""

    def __init__(self, context, page) -> None:
        self.requests: dict[str, dict] = {}  # requestId → url, type, encoding, bytes
        self.in_flight: set[str] = set()
        self.ws_received = self.ws_sent = 0
        self.ws_deflate = None  # whether the websocket negotiated permessage-deflate
        self.last_activity = time.monotonic()
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._ws_handshake)
        cdp.on("Network.webSocketFrameReceived", self._ws_in)
        cdp.on("Network.webSocketFrameSent", self._ws_out)
        # no cache at all: a first visit, even for requests Chromium would revalidate
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.cdp = cdp

    def _touch(self) -> None:
        self.last_activity = time.monotonic()

    def _sent(self, event: dict) -> None:
        self._touch()
        rid = event["requestId"]
        self.in_flight.add(rid)
        self.requests.setdefault(rid, {"url": event["request"]["url"], "bytes": 0, "encoding": "", "type": ""})

    def _response(self, event: dict) -> None:
        self._touch()
        entry = self.requests.setdefault(event["requestId"], {"url": event["response"]["url"], "bytes": 0})
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        entry["encoding"] = headers.get("content-encoding", "")
        entry["type"] = event.get("type", "")
        entry["mime"] = event["response"].get("mimeType", "")

    def _finished(self, event: dict) -> None:
        self._touch()
        rid = event["requestId"]
        self.in_flight.discard(rid)
        if rid in self.requests:
            self.requests[rid]["bytes"] = int(event.get("encodedDataLength", 0))

    def _failed(self, event: dict) -> None:
        self._touch()
        self.in_flight.discard(event["requestId"])

    def _ws_handshake(self, event: dict) -> None:
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        self.ws_deflate = "permessage-deflate" in headers.get("sec-websocket-extensions", "")

    def _ws_in(self, event: dict) -> None:
        self._touch()
        self.ws_received += frame_bytes(event["response"])

    def _ws_out(self, event: dict) -> None:
        self._touch()
        self.ws_sent += frame_bytes(event["response"])

    def quiet(self, page, quiet_s: float = 0.5, timeout_s: float = 30.0) -> None:
        """Wait until no HTTP request is in flight and nothing moved for ``quiet_s`` (late fetches:
        a live view's weights, fonts, images below a chart)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.in_flight and time.monotonic() - self.last_activity >= quiet_s:
                return
            page.wait_for_timeout(100)  # lets Playwright deliver the protocol's events

    def summary(self, top: int = 5) -> dict:
        http = sum(r["bytes"] for r in self.requests.values())
        ws = self.ws_received + self.ws_sent
        biggest = sorted(self.requests.values(), key=lambda r: r["bytes"], reverse=True)[:top]
        return {
            "total_bytes": http + ws,
            "http_bytes": http,
            "ws_bytes": ws,
            "ws_received": self.ws_received,
            "ws_sent": self.ws_sent,
            "ws_deflate": self.ws_deflate,
            "requests": len(self.requests),
            "gzip_requests": sum(1 for r in self.requests.values() if r.get("encoding")),
            "top": [
                {"url": r["url"], "bytes": r["bytes"], "encoding": r.get("encoding", ""), "type": r.get("type", "")}
                for r in biggest
            ],
        }


def measure(browser, base: str, url_path: str, query: str = "lang=en", timeout_ms: float = 180_000) -> dict:
    """One first visit of ``/url_path?query`` in a fresh phone context; its bytes."""
    context = new_context(browser, **PHONE)
    try:
        page = new_page(context)
        counter = WireCounter(context, page)
        t0 = time.monotonic()
        page.goto(f"{base}/{url_path}?{query}", wait_until="commit")
        wait_settled(page, timeout_ms=timeout_ms)
        counter.quiet(page)
        out = counter.summary()
        out.update(page=url_path or "home", seconds=time.monotonic() - t0, js_errors=list(page.js_errors))
        return out
    finally:
        with contextlib.suppress(Exception):
            context.close()


def warm(browser, base: str, paths: list[str]) -> None:
    """Open every page once first (server-side caches, torch, the model), so the measured visit
    does not wait on the server's own cold start — bytes do not depend on it, the timeouts do."""
    context = new_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = new_page(context)
        for path in paths:
            page.goto(f"{base}/{path}?lang=en")
            wait_settled(page, timeout_ms=240_000)
    finally:
        context.close()


def run_against(base: str, paths: list[str], log=default_log) -> list[dict]:
    with chromium() as browser:
        warm(browser, base, paths)
        out = []
        for path in paths:
            result = measure(browser, base, path)
            top = result["top"][0] if result["top"] else {"url": "-", "bytes": 0}
            log(
                f"/{path}: {result['total_bytes'] / MB:.2f} MB ({result['requests']} requests; "
                f"biggest {top['url'].rsplit('/', 1)[-1][:40]} {top['bytes'] / MB:.2f} MB)"
            )
            out.append(result)
        return out


def run(hosted: bool = False, replicas: int = 2, only: list[str] | None = None, log=default_log) -> dict:
    """Measure every page (or ``only``) against plain ``streamlit run app.py`` or the hosted path."""
    paths = page_paths(only)
    if hosted:
        from benchmarks.cluster import launch

        with launch(replicas) as cluster:
            log(f"hosted path: deploy.serve --replicas {replicas} at {cluster.base}")
            pages = run_against(cluster.base, paths, log)
        return {"setup": f"python -m deploy.serve --replicas {replicas} (HAProxy)", "pages": pages}
    with serve("app.py") as server:
        log(f"plain streamlit run app.py at {server.base}")
        pages = run_against(server.base, paths, log)
    return {"setup": "streamlit run app.py", "pages": pages}


def short(url: str) -> str:
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "/"
    return name if len(name) <= 40 else name[:37] + "…"


def table(result: dict) -> str:
    rows = []
    for r in result["pages"]:
        target = target_mb(r["page"])
        total = r["total_bytes"] / MB
        top = ", ".join(f"{short(t['url'])} {t['bytes'] / MB:.2f}{' gz' if t['encoding'] else ''}" for t in r["top"])
        rows.append(
            [
                "/" + (r["page"] if r["page"] != "home" else ""),
                f"{total:.2f}",
                f"{r['http_bytes'] / MB:.2f}",
                f"{r['ws_bytes'] / MB:.2f}" + (" (deflate)" if r["ws_deflate"] else ""),
                f"{r['requests']} ({r['gzip_requests']} compressed)",
                f"≤ {target:g}",
                "✅" if total <= target else "❌",
                top,
            ]
        )
    header = ["page", "total MB", "HTTP MB", "websocket MB", "requests", "target MB", "", "top 5 resources (MB)"]
    return f"{result['setup']}\n\n" + markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosted", action="store_true", help="through python -m deploy.serve (HAProxy)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas for --hosted (default 2)")
    parser.add_argument("--page", action="append", help="only this page (url path or slug; repeatable)")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    args = parser.parse_args(argv)
    result = run(args.hosted, args.replicas, args.page)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if all(r["total_bytes"] / MB <= target_mb(r["page"]) for r in result["pages"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
