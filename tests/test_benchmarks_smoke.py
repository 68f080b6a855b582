"""The benchmark modules import, and their pure helpers compute what they claim.

No timing here (benchmarks are not tests); runs in well under a second.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.proto.BackMsg_pb2 import BackMsg

from benchmarks import cold_start, latency, load, memory, page_weight, run_all  # noqa: F401 - they must import
from benchmarks.common import log_errors, median, p95, percentile, ratio, verdict
from benchmarks.wsclient import SliderInfo, StreamlitSession

samples = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)


@given(samples, st.floats(0, 100))
def test_percentile_matches_numpy(data, q):
    assert percentile(data, q) == pytest.approx(np.percentile(data, q), rel=1e-9, abs=1e-6)


def test_median_p95_and_empty():
    data = list(range(1, 101))  # 1..100
    assert median(data) == 50.5
    assert p95(data) == pytest.approx(95.05)
    assert math.isnan(median([]))


def test_ratio_and_verdict():
    assert ratio(150.0, 50.0) == 3.0
    assert math.isnan(ratio(1.0, 0.0)) and math.isnan(ratio(math.nan, 2.0))
    assert verdict(1.2, 1.3) == "✅"
    assert verdict(2.6, 1.3) == "❌ (+100%)"
    assert verdict(math.nan, 1.3) == "—"


def test_slope_recovers_a_line():
    points = [(t, 300.0 + 0.5 * t) for t in range(0, 120, 2)]
    assert load.slope(points) == pytest.approx(0.5)
    assert load.slope([(1.0, 5.0)]) == 0.0


def test_log_errors_one_line_per_traceback():
    log = """2026-01-01 INFO start
Traceback (most recent call last):
  File "pages/x.py", line 3, in <module>
    1 / 0
ZeroDivisionError: division by zero
all good again
Traceback (most recent call last):
  File "pages/y.py", line 9
    f"{'\\n'}"
SyntaxError: f-string expression part cannot include a backslash
"""
    assert log_errors(log) == [
        "ZeroDivisionError: division by zero",
        "SyntaxError: f-string expression part cannot include a backslash",
    ]
    assert log_errors("no problems\n") == []


@given(st.floats(-10, 10))
def test_slider_snapping_stays_on_the_grid(value):
    slider = SliderInfo("id", "", -5.0, 5.0, 0.01, 0.0)
    snapped = slider.snapped(value)
    assert -5.0 <= snapped <= 5.0
    assert abs(round((snapped + 5.0) / 0.01) * 0.01 - (snapped + 5.0)) < 1e-9


def test_back_msg_is_what_the_browser_sends():
    session = StreamlitSession("http://127.0.0.1:8501", "gaussian-kl", "lang=en&mu1=0")
    first = BackMsg.FromString(session._back_msg())
    assert first.rerun_script.page_name == "gaussian-kl" and not first.rerun_script.page_script_hash
    assert first.rerun_script.query_string == "lang=en&mu1=0"
    assert not first.rerun_script.widget_states.widgets

    session.page_script_hash = "abc"
    session.cache = {"h1": 1}
    slider = SliderInfo("kl_mu1_id", "frag1", -5, 5, 0.01, 0.0)
    move = BackMsg.FromString(session._back_msg(slider, 0.01)).rerun_script
    assert move.page_script_hash == "abc" and not move.page_name
    assert move.fragment_id == "frag1"
    assert list(move.cached_message_hashes) == ["h1"]
    (state,) = move.widget_states.widgets
    assert state.id == "kl_mu1_id" and list(state.double_array_value.data) == [0.01]

    select = SliderInfo("n_id", "", 0, 3, 1, 1, options=["100", "1000", "10000", "100000"])
    (state,) = BackMsg.FromString(session._back_msg(select, 2)).rerun_script.widget_states.widgets
    assert list(state.string_array_value.data) == ["10000"]


def test_parse_sliders_and_tables_render():
    assert latency.parse_sliders(["kl=2", "mc=0"]) == {"kl": 2, "mc": 0}
    result = {
        "moves": 2,
        "quiet_ms": 400,
        "targets": [
            {
                "name": "trivial app, Streamlit defaults",
                "kind": "default",
                "slider": 0,
                "samples_ms": [80, 82],
                "server_ms": [10],
                "server_cpu_ms": 5.0,
                "errors": [],
                "dialogs": [],
                "note": "",
            },
            {
                "name": "trivial app, project config (floor)",
                "kind": "floor",
                "slider": 0,
                "samples_ms": [20, 22],
                "server_ms": [5],
                "server_cpu_ms": 3.0,
                "errors": [],
                "dialogs": [],
                "note": "",
            },
            {
                "name": "kl",
                "kind": "page",
                "slider": 0,
                "samples_ms": [105, 107],
                "server_ms": [40],
                "server_cpu_ms": 30.0,
                "errors": [],
                "dialogs": [],
                "note": "",
            },
        ],
    }
    table = run_all.latency_table(result)
    assert "| kl | 0 | 2 | 106 |" in table
    assert "| 40 | 30 | — |" in table  # server ms, server CPU ms, no KB recorded
    assert "| 1.31× | 5.05× |" in table  # 106/81 and 106/21
    assert "| ❌ (+1%) | ❌ (+1%) (≤ 5×) |" in table  # both targets missed by 1%


def test_live_frames_measures_every_pages_live_view():
    """benchmarks/live_frames.py drags or plays each live view a page registers (ui/registry.py)."""
    from benchmarks.live_frames import VIEWS
    from ui.registry import PAGES

    assert {name for page in PAGES for name in page.live_views} <= {view.name for view in VIEWS}


def test_page_weight_counts_websocket_frames_and_judges_targets():
    import base64

    # binary frames come base64-encoded from the DevTools protocol: their decoded size counts
    assert page_weight.frame_bytes({"opcode": 2, "payloadData": base64.b64encode(bytes(1000)).decode()}) == 1000
    assert page_weight.frame_bytes({"opcode": 1, "payloadData": "μ"}) == 2  # text: UTF-8 bytes
    assert page_weight.target_mb("lesson") == 1.5 and page_weight.target_mb("latent") == 4.0
    paths = page_weight.page_paths()
    assert paths[:2] == ["", "lesson"] and "latent" in paths and len(set(paths)) == len(paths)
    assert page_weight.page_paths(["home", "gaussian_kl"]) == ["", "gaussian-kl"]
    page = {
        "total_bytes": 1_600_000,
        "http_bytes": 1_500_000,
        "ws_bytes": 100_000,
        "ws_deflate": False,
        "requests": 3,
        "gzip_requests": 1,
        "top": [{"url": "http://x/static/js/Big.abc.js?v=1", "bytes": 1_000_000, "encoding": "gzip"}],
    }
    text = page_weight.table({"setup": "s", "pages": [{**page, "page": "lesson"}, {**page, "page": "latent"}]})
    lesson, latent = (line for line in text.splitlines() if line.startswith("| /"))
    assert "| 1.60 |" in lesson and "❌" in lesson  # over 1.5 MB
    assert "✅" in latent and "Big.abc.js 1.00 gz" in latent


def test_run_all_reports_the_page_weight_sections():
    import argparse

    page = {
        "page": "lesson",
        "total_bytes": 1_170_000,
        "http_bytes": 1_160_000,
        "ws_bytes": 10_000,
        "ws_deflate": False,
        "requests": 92,
        "gzip_requests": 57,
        "top": [],
    }
    results = {"weight": {"setup": "streamlit run app.py", "pages": [page]}}
    info = {
        "date": "d",
        "nproc": "2",
        "python": "3",
        "streamlit": "1.67",
        "torch": "-",
        "plotly": "-",
        "playwright": "-",
    }
    text = run_all.report(info, results, {}, argparse.Namespace(argv=["--only", "weight"]))
    assert "## Bytes on the wire, a phone's first visit (plain streamlit run" in text
    assert "| /lesson | 1.17 |" in text and "hosted path" not in text
    assert "weight" in run_all.ALL_SECTIONS and "weight" not in run_all.SECTIONS  # asked for by name


def _busy_in(path: str, function: str, seconds: float, inner=None):
    """A function named `function` whose code lives at `path` (as if in that library), busy for `seconds`,
    calling `inner` (another such function) half way."""
    src = (
        f"def {function}(inner, seconds):\n"
        "    import time\n"
        "    end = time.thread_time() + seconds / 2\n"
        "    while time.thread_time() < end:\n"
        "        pass\n"
        "    if inner:\n"
        "        inner()\n"
        "    end = time.thread_time() + seconds / 2\n"
        "    while time.thread_time() < end:\n"
        "        pass\n"
    )
    scope = {}
    exec(compile(src, path, "exec"), scope)
    return lambda: scope[function](inner, seconds)


def test_release_profile_samples_go_to_the_outermost_part():
    """The stack sampler weighs samples by thread CPU and gives each to the outermost frame naming a part:
    a figure built inside a cached call is "cached", plotly→json on its own is "plotly→json"."""
    import threading

    from benchmarks.release_profile import _sample

    figures = _busy_in("/x/ui/figures_demo.py", "build", 0.15)
    cached = _busy_in("/x/site-packages/streamlit/runtime/caching/cache_utils.py", "wrapper", 0.15, inner=figures)
    to_json = _busy_in("/x/site-packages/streamlit/elements/plotly_chart.py", "plotly_chart", 0.2)

    def work():
        cached()
        to_json()

    parts, top, stop = {}, {}, threading.Event()
    worker = threading.Thread(target=work)
    worker.start()
    sampler = threading.Thread(target=_sample, args=(worker.ident, stop, parts, top))
    sampler.start()
    worker.join()
    stop.set()
    sampler.join()
    total = sum(parts.values())
    assert 0.4 <= total <= 0.6  # the thread's CPU, 0.5 s, less what ran before the sampler started
    assert parts.get("cached", 0) / total == pytest.approx(0.6, abs=0.1)  # 0.15 + 0.15 nested
    assert parts.get("plotly→json", 0) / total == pytest.approx(0.4, abs=0.1)
    assert "figures" not in parts  # inside the cached call, never counted twice
    assert top["ui/figures_demo.py:build"] / total == pytest.approx(0.3, abs=0.1)  # innermost project frame


def test_release_profile_browser_parts_by_script():
    from benchmarks.release_profile import browser_parts

    def node(i, name, url):
        return {"id": i, "callFrame": {"functionName": name, "url": url}}

    profile = {
        "nodes": [
            node(1, "(root)", ""),
            node(2, "(idle)", ""),
            node(3, "draw", "http://h/static/js/PlotlyChart.D9Z0.js"),
            node(4, "render", "http://h/static/js/katex.B_J.js"),
            node(5, "frame", "http://h/app/static/live/kl.js?v=1"),
            node(6, "commit", "http://h/static/js/react-dom.Dz.js"),
            node(7, "(garbage collector)", ""),
            node(8, "poll", ""),
        ],
        "samples": [2, 3, 3, 4, 5, 6, 7, 8, 1],
        "timeDeltas": [5000, 1000, 1000, 500, 250, 2000, 750, 9000, 9000],
    }
    parts = browser_parts(profile)
    assert parts == {
        "plotly.js": 2.0,
        "KaTeX": 0.5,
        "live views": 0.25,
        "protobuf": 0.0,
        "GC": 0.75,
        "React & rest": 2.0,
    }
