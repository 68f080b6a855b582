"""A light Streamlit client that speaks the browser's websocket protocol, for load tests.

It does what the frontend (streamlit/static, ``sendRerunBackMsg``) does on the wire:

* connects to ``ws://host/_stcore/stream`` with the ``streamlit`` subprotocol;
* asks for a page with a ``rerun_script`` BackMsg carrying the URL's query string, the page
  name from the URL path (first run) or the current ``page_script_hash`` (later runs), its
  context (locale, timezone, URL) and the hashes of the cacheable messages it already holds
  (so the server answers those with short ``ref_hash`` references, as for a real browser);
* reads the ForwardMsgs — deltas, ``page_info_changed`` (the page rewrites the URL's query
  string; the next rerun sends it back), ``navigation`` — until ``script_finished``;
* fetches the ``/media/…`` URLs of images, as a browser would before showing them;
* moves a slider by sending its new value (``double_array_value``, or ``string_array_value``
  for a select slider) with the ``fragment_id`` of the fragment the slider lives in, so a slider
  inside ``@st.fragment`` reruns only that fragment, exactly as in the browser;
* moves a live view's control (ui/live: an ``st.components.v2`` component whose data carries
  ``values`` and ``ranges``) the way its JavaScript reports a finished drag: the component's JSON
  state ``{"release": {…all its values…}}``. What the browser draws during the drag never reaches
  the server, so this one message is all a drag costs it.

On Linux it sets TCP_QUICKACK on its socket after every message: without it the kernel delays
the client's ACKs by 40 ms while the server (Nagle) holds back its next small frame, which
adds ~40 ms to every rerun that Chromium does not see (measured: trivial app 44 ms → 6 ms, the
browser's own websocket frames show ~10 ms).

Behind a load balancer (``sticky=True``, ``python -m deploy.serve``) it also keeps cookies like a
browser: it first GETs the page (where HAProxy sets the sticky cookie), then sends the cookies with
the websocket handshake and every image request, and records which replica answered each of them
(HAProxy's ``X-Replica`` header), so the benchmark can check that a tab stays on its replica.

What it leaves out: rendering (React, plotly, KaTeX: that is the browser's CPU, not the
server's) and the values of widgets it does not move (the server keeps those in the session's
state, so the script sees the same values).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider

FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass
class SliderInfo:
    id: str
    fragment_id: str
    min: float
    max: float
    step: float
    value: float  # current value (select slider: option index)
    options: list[str] = field(default_factory=list)  # select slider only
    in_main: bool = True  # False for the sidebar
    live: str = ""  # a live view's control: its name in the component's ``values``
    live_values: dict = field(default_factory=dict)  # the live view's current values, one dict shared
    # by all of its controls (a release reports every control's value)

    @property
    def key(self) -> str:
        return f"{self.id}:{self.live}" if self.live else self.id

    def snapped(self, value: float) -> float:
        n = round((min(max(value, self.min), self.max) - self.min) / self.step)
        return round(min(self.min + n * self.step, self.max), 10)


@dataclass
class RunResult:
    elapsed_ms: float
    status: str  # "ok", "fragment", or what went wrong
    errors: list[str]
    page_not_found: bool = False
    bytes_received: int = 0


class StreamlitSession:
    """One browser tab's worth of Streamlit session, over a websocket."""

    def __init__(
        self,
        base: str,
        url_path: str = "",
        query: str = "",
        locale: str = "en-US",
        timeout: float = 30.0,
        sticky: bool = False,
    ):
        self.base = base.rstrip("/")
        self.sticky = sticky
        self.cookies: dict[str, str] = {}
        self.replicas: list[str] = []  # X-Replica of each response (page, websocket, images), in order
        self._closed: asyncio.Future | None = None
        self.url_path = url_path
        self.query = query
        self.locale = locale
        self.timeout = timeout
        self.ws = None
        self.page_script_hash = ""
        self.sliders: dict[str, SliderInfo] = {}
        self.cache: dict[str, int] = {}  # hash of a cacheable message → run it was last seen
        self.max_cached_age = 2
        self.runs = 0

    # --------------------------------------------------------------------- connection
    async def connect(self) -> None:
        uri = self.base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.ws = await websockets.connect(
            uri + "/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout,
            additional_headers=self._headers() or None,
        )
        if self.sticky:
            self._note_response(self.ws.response.headers)
            self._closed = asyncio.ensure_future(self.ws.wait_closed())
        self._quickack()

    # --------------------------------------------------------------------- cookies (sticky)
    def _headers(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def _note_response(self, headers) -> None:
        """Keep Set-Cookie values, as a browser does; note which replica answered."""
        replica = headers.get("X-Replica")
        if replica:
            self.replicas.append(replica)
        for cookie in headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path: str) -> int:
        """A plain HTTP GET with the session's cookies (blocking; run it in a thread)."""
        request = urllib.request.Request(self.base + path, headers=self._headers())
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            self._note_response(response.headers)
            return len(response.read())

    def open_page(self) -> int:
        """What a browser does before the websocket: GET the page's HTML (the sticky cookie comes here)."""
        return self.get(f"/{self.url_path}" + (f"?{self.query}" if self.query else ""))

    async def closed_within(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the server closes the websocket (a browser notices at once)."""
        if self.ws is None or self._closed is None:
            return True
        done, _ = await asyncio.wait({self._closed}, timeout=seconds)
        return bool(done)

    def _quickack(self) -> None:
        """ACK at once (Linux); see the module docstring for why."""
        sock = self.ws.transport.get_extra_info("socket") if self.ws is not None else None
        if sock is not None and hasattr(socket, "TCP_QUICKACK"):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except OSError:
                pass

    async def close(self) -> None:
        if self._closed is not None:
            self._closed.cancel()
            self._closed = None
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    # --------------------------------------------------------------------- protocol
    def _back_msg(self, widget: SliderInfo | None = None, value: float | None = None) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if self.page_script_hash:
            state.page_script_hash = self.page_script_hash
        else:
            state.page_name = self.url_path
        info = state.context_info
        info.locale = self.locale
        info.timezone = "UTC"
        info.timezone_offset = 0
        info.url = f"{self.base}/{self.url_path}" + (f"?{self.query}" if self.query else "")
        info.color_scheme = "light"
        state.cached_message_hashes.extend(self.cache)
        if widget is not None:
            ws = state.widget_states.widgets.add()
            ws.id = widget.id
            if widget.live:
                ws.json_value = json.dumps({"release": widget.live_values})
            elif widget.options:
                ws.string_array_value.data.append(widget.options[int(value)])
            else:
                ws.double_array_value.data.append(value)
            if widget.fragment_id:
                state.fragment_id = widget.fragment_id
        return msg.SerializeToString()

    def _note_element(self, msg: ForwardMsg) -> tuple[list[str], list[str]]:
        """Learn sliders; return (errors shown on the page, media URLs to fetch)."""
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return [], []
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            return [f"exception: {element.exception.type}: {element.exception.message[:120]}"], []
        if kind == "imgs":
            return [], [img.url for img in element.imgs.imgs if img.url]
        if kind == "bidi_component":
            self._note_live_view(element.bidi_component, delta.fragment_id, msg)
            return [], []
        if kind == "slider":
            s = element.slider
            if s.data_type not in (Slider.INT, Slider.FLOAT) or len(s.default) != 1:
                return [], []  # dates, ranges: not moved by this client
            old = self.sliders.get(s.id)
            current = s.value[0] if s.set_value and s.value else (old.value if old else s.default[0])
            self.sliders[s.id] = SliderInfo(
                s.id,
                delta.fragment_id,
                s.min,
                s.max,
                s.step or 1.0,
                current,
                list(s.options),
                in_main=bool(msg.metadata.delta_path) and msg.metadata.delta_path[0] == 0,
            )
        return [], []

    def _note_live_view(self, component, fragment_id: str, msg: ForwardMsg) -> None:
        """A live view's controls become sliders of this client (one per name in its ``values``)."""
        try:
            data = json.loads(component.json) if component.json else {}
        except ValueError:
            return
        if isinstance(data, list) and data:  # ui.live.mount sends [data] (see its docstring)
            data = data[0]
        if not isinstance(data, dict):
            return
        values, ranges = data.get("values"), data.get("ranges")
        if not isinstance(values, dict) or not isinstance(ranges, dict):
            return
        in_main = bool(msg.metadata.delta_path) and msg.metadata.delta_path[0] == 0
        shared = dict(values)
        for name, value in values.items():
            r = ranges.get(name)
            if not isinstance(r, dict) or not isinstance(value, int | float):
                continue
            info = SliderInfo(
                component.id,
                fragment_id,
                r["lo"],
                r["hi"],
                r.get("step") or 1.0,
                value,
                in_main=in_main,
                live=name,
                live_values=shared,
            )
            self.sliders[info.key] = info

    def _fetch(self, url: str) -> int:
        full = url if url.startswith("http") else self.base + "/" + url.lstrip("/")
        with urllib.request.urlopen(
            urllib.request.Request(full, headers=self._headers()), timeout=self.timeout
        ) as response:
            if self.sticky:
                self._note_response(response.headers)
            return len(response.read())

    async def rerun(self, widget: SliderInfo | None = None, value: float | None = None) -> RunResult:
        """Send one rerun (page load, or a slider change); wait for script_finished."""
        self.runs += 1
        errors: list[str] = []
        media: list[str] = []
        not_found = False
        received = 0
        status = "timeout"
        start = time.perf_counter()
        if widget is not None:
            widget.value = value  # as the frontend: the widget shows its new value at once
            if widget.live:
                widget.live_values[widget.live] = value
        try:
            self._quickack()
            await self.ws.send(self._back_msg(widget, value))
            deadline = start + self.timeout
            while True:
                data = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.perf_counter()))
                self._quickack()
                received += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                kind = msg.WhichOneof("type")
                if msg.metadata.cacheable and msg.hash:
                    self.cache[msg.hash] = self.runs
                elif kind == "ref_hash":
                    self.cache[msg.ref_hash] = self.runs
                if kind == "delta":
                    shown, urls = self._note_element(msg)
                    errors += shown
                    media += urls
                elif kind == "page_info_changed":
                    self.query = msg.page_info_changed.query_string
                elif kind == "navigation":
                    self.page_script_hash = msg.navigation.page_script_hash
                elif kind == "new_session":
                    self.page_script_hash = self.page_script_hash or msg.new_session.page_script_hash
                    self.max_cached_age = msg.new_session.config.max_cached_message_age or 2
                elif kind == "page_not_found":
                    not_found = True
                elif kind == "script_finished":
                    code = msg.script_finished
                    if code == ForwardMsg.FINISHED_SUCCESSFULLY:
                        status = "ok"
                    elif code == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                        status = "fragment"
                    else:
                        status = ForwardMsg.ScriptFinishedStatus.Name(code)
                        errors.append(f"script_finished: {status}")
                    break
            for url in media:  # a browser fetches images before it can show them
                received += await asyncio.to_thread(self._fetch, url)
        except TimeoutError:
            errors.append(f"timeout: no script_finished within {self.timeout:.0f} s")
        except websockets.ConnectionClosed as exc:
            status = "closed"
            errors.append(f"connection closed: {exc}")
        except OSError as exc:
            status = "io"
            errors.append(f"io: {exc}")
        elapsed = 1000 * (time.perf_counter() - start)
        # the frontend forgets cached messages not seen for max_cached_message_age runs
        self.cache = {h: r for h, r in self.cache.items() if self.runs - r < self.max_cached_age}
        return RunResult(elapsed, status, errors, not_found, received)

    async def load(self) -> RunResult:
        """Open the page (first run of this session)."""
        if self.ws is None:
            await self.connect()
        self.sliders.clear()
        return await self.rerun()

    def main_sliders(self) -> list[SliderInfo]:
        return [s for s in self.sliders.values() if s.in_main]
