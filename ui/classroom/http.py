"""The live class over plain HTTP, beside Streamlit (``app = st.App(..., routes=class_routes())`` in
app.py): a phone follows the teacher and votes without a Streamlit rerun per poll.

    GET  /class/api/<CODE>            the class as a phone sees it (JSON). With the header
                                      ``X-Class-Secret: <secret>``: as the teacher sees it (all counts).
         ?wait=<s>                    long poll: answer as soon as what this viewer sees changes
                                      (its ``etag``), or after <s> seconds (at most 25) with 304
         If-None-Match: "<etag>"      (or ?since=<etag>) the viewer's last etag; unchanged → 304
    POST /class/api/<CODE>/vote       {"token", "question", "round", "option"} → the phone's view
    POST /class/api/<CODE>/teacher    header X-Class-Secret; {"action": "move"|"show"|"close"|
                                      "reveal"|"again"|"end", ...} → the teacher's view
    POST /class/api/new               → {"code", "secret"} (a class started from a teacher's browser)

Errors are JSON ``{"error": <reason>, "message": <text>}`` with the status of
:class:`ui.classroom.store.ClassError` (400, 403 wrong or missing secret, 404 unknown or expired
class, 409 the vote no longer matches the class). The secret travels only in a header, never in a
URL (URLs end up in logs and browser histories).

Why long polls: 120 phones asking twice a second is 240 requests a second for nothing while the
teacher talks. Here a waiting phone costs nothing: one watcher per class per process checks the
store's (version, tally) stamp every 0.1 s and wakes the waiting requests when it changes; they
compare the cached phone view's etag with theirs, so a hidden vote wakes no phone's request twice.

This module imports starlette (which ships with Streamlit), never streamlit itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ui.classroom.store import ClassError, ClassNotFound, get_store, normalize_code

API = "/class/api"
SECRET_HEADER = "X-Class-Secret"
MAX_WAIT_S = 25.0
WATCH_PERIOD_S = 0.1
WATCH_IDLE_S = 30.0  # a watcher nobody waited on for this long stops
MAX_BODY = 2048
NO_STORE = {"Cache-Control": "no-store"}


def _error(exc: ClassError) -> JSONResponse:
    return JSONResponse({"error": exc.reason, "message": str(exc)}, status_code=exc.status, headers=NO_STORE)


def _view_response(view: dict) -> JSONResponse:
    return JSONResponse(view, headers={**NO_STORE, "ETag": f'"{view["etag"]}"'})


def _not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={**NO_STORE, "ETag": f'"{etag}"'})


def _since(request: Request) -> str | None:
    raw = request.headers.get("if-none-match") or request.query_params.get("since")
    return raw.strip().removeprefix("W/").strip('"') if raw else None


async def _call(fn, *args, **kwargs):
    """Store calls leave the event loop (Redis is a network round trip; the loop serves websockets)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ClassError("send JSON (Content-Type: application/json)")  # also stops form-post CSRF
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ClassError("request too large")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ClassError("malformed JSON") from None
    if not isinstance(data, dict):
        raise ClassError("send a JSON object")
    return data


class _Watch:
    """One class's change watcher in this process: the phone view, refreshed when the stamp moves."""

    def __init__(self):
        self.stamp: tuple[int, int] | None = None
        self.view: dict | None = None
        self.error: ClassError | None = None
        self.changed = asyncio.Event()
        self.waiters = 0
        self.last_used = time.monotonic()
        self.task: asyncio.Task | None = None
        self.ready = asyncio.Event()


class Hub:
    """Long polls of every class in this process (one watcher task per class with waiters)."""

    def __init__(self, store_getter=get_store, period: float = WATCH_PERIOD_S):
        self._store = store_getter
        self.period = period
        self._watches: dict[str, _Watch] = {}

    def _watch(self, code: str) -> _Watch:
        watch = self._watches.get(code)
        if watch is None or watch.task is None or watch.task.done():
            watch = self._watches[code] = _Watch()
            watch.task = asyncio.get_running_loop().create_task(self._run(code, watch))
        watch.last_used = time.monotonic()
        return watch

    async def _run(self, code: str, watch: _Watch) -> None:
        store = self._store()
        try:
            while watch.waiters > 0 or time.monotonic() - watch.last_used < WATCH_IDLE_S:
                try:
                    stamp = await _call(store.stamp, code)
                    if stamp != watch.stamp:
                        watch.view = await _call(store.view, code)
                        watch.stamp, watch.error = stamp, None
                        self._wake(watch)
                except ClassNotFound as exc:
                    watch.view, watch.error = None, exc
                    self._wake(watch)
                    return
                except Exception:  # noqa: BLE001 - a store hiccup (Redis restarting): try again
                    pass
                watch.ready.set()
                await asyncio.sleep(self.period)
        finally:
            if self._watches.get(code) is watch:
                del self._watches[code]
            self._wake(watch)

    @staticmethod
    def _wake(watch: _Watch) -> None:
        watch.ready.set()
        old, watch.changed = watch.changed, asyncio.Event()
        old.set()

    async def wait_phone_view(self, code: str, since: str | None, timeout: float) -> dict | None:
        """The phone view once its etag differs from ``since`` (None: at once); None on timeout."""
        watch = self._watch(code)
        watch.waiters += 1
        deadline = time.monotonic() + timeout
        try:
            if not watch.ready.is_set():
                await asyncio.wait_for(watch.ready.wait(), timeout=max(0.01, timeout))
            while True:
                if watch.error is not None:
                    raise watch.error
                if watch.view is not None and watch.view["etag"] != since:
                    return watch.view
                left = deadline - time.monotonic()
                if left <= 0 or watch.task is None or watch.task.done():
                    return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(watch.changed.wait(), timeout=left)
        except TimeoutError:
            return None
        finally:
            watch.waiters -= 1
            watch.last_used = time.monotonic()

    async def wait_teacher_view(self, code: str, secret: str, since: str | None, timeout: float) -> dict | None:
        """Like :meth:`wait_phone_view` for the teacher (fresh, secret-checked reads on each change)."""
        store = self._store()
        watch = self._watch(code)
        watch.waiters += 1
        deadline = time.monotonic() + timeout
        try:
            while True:
                changed = watch.changed
                view = await _call(store.view, code, secret)
                if view["etag"] != since:
                    return view
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(changed.wait(), timeout=left)
                except TimeoutError:
                    return None
        finally:
            watch.waiters -= 1
            watch.last_used = time.monotonic()


HUB = Hub()


def _wait_seconds(request: Request) -> float:
    try:
        return min(MAX_WAIT_S, max(0.0, float(request.query_params.get("wait", 0))))
    except ValueError:
        return 0.0


async def class_state(request: Request) -> Response:
    try:
        code = normalize_code(request.path_params["code"])
        secret = request.headers.get(SECRET_HEADER)
        since, wait = _since(request), _wait_seconds(request)
        store = get_store()
        if wait > 0:
            if secret is not None:
                view = await HUB.wait_teacher_view(code, secret, since, wait)
            else:
                view = await HUB.wait_phone_view(code, since, wait)
            return _view_response(view) if view is not None else _not_modified(since or "")
        view = await _call(store.view, code, secret)
        return _not_modified(since) if since == view["etag"] else _view_response(view)
    except ClassError as exc:
        return _error(exc)


async def class_vote(request: Request) -> Response:
    try:
        code = normalize_code(request.path_params["code"])
        data = await _json_body(request)
        view = await _call(
            get_store().vote, code, data.get("token"), data.get("question"), data.get("round"), data.get("option")
        )
        return _view_response(view)
    except ClassError as exc:
        return _error(exc)


async def class_teacher(request: Request) -> Response:
    try:
        code = normalize_code(request.path_params["code"])
        secret = request.headers.get(SECRET_HEADER) or ""
        data = await _json_body(request)
        action = str(data.pop("action", ""))
        allowed = {"step", "page", "section", "question", "options", "on", "round"}
        view = await _call(get_store().teach, code, secret, action, **{k: v for k, v in data.items() if k in allowed})
        return _view_response(view)
    except ClassError as exc:
        return _error(exc)


async def class_new(request: Request) -> Response:
    try:
        await _json_body(request)
        made = await _call(get_store().create)
        return JSONResponse({"code": made.code, "secret": made.secret}, status_code=201, headers=NO_STORE)
    except ClassError as exc:
        return _error(exc)


def class_routes() -> list[Route]:
    """The routes app.py hands to ``st.App``."""
    return [
        Route(f"{API}/new", class_new, methods=["POST"]),
        Route(API + "/{code}", class_state, methods=["GET"]),
        Route(API + "/{code}/vote", class_vote, methods=["POST"]),
        Route(API + "/{code}/teacher", class_teacher, methods=["POST"]),
    ]
