"""A real Chromium tab behind `python -m deploy.serve` (2 replicas, HAProxy): everything the tab
loads comes from one replica; when that replica is killed the tab reconnects by itself (to the
other replica, and sticks there) still showing its view, and a reload brings the same view back
from the URL, working.

Why a reload: Streamlit's frontend reruns on reconnect only if its last run was interrupted or was
a fragment run (streamlit#9083, #11890); otherwise it expects its old server session, which died
with the replica, and the new replica ignores a slider moved inside an `st.fragment`
("fragment … does not exist anymore") until a full rerun. docs/benchmarks.md has the details.

Needs Chromium (this folder's fixtures) and HAProxy (skip locally without it, fail under CI)."""

import os
import re
import signal
import time

import pytest

from harness.browser import new_context, new_page, wait_settled
from tests.test_deploy import read_status

pytestmark = pytest.mark.browser
VIEW = "gaussian-kl?mu1=0.5&sigma1=0.7&mu2=-1&sigma2=2&lang=en"
KL_VALUES = ["0.8923", "4.8277"]  # KL(p‖q), KL(q‖p) for VIEW (test_browser.py checks them too)


def test_tab_stays_on_its_replica_and_survives_its_death(chromium, cluster):
    port, status_path = cluster  # tests/browser/conftest.py: one cluster for the session
    base = f"http://127.0.0.1:{port}"
    context = new_context(chromium, viewport={"width": 1400, "height": 900}, locale="en-US")
    try:
        page = new_page(context)
        served: list[tuple[str, str]] = []  # (replica, its address) of every response from the app
        paths: list[str] = []
        page.on(
            "response",
            lambda r: (
                r.url.startswith(base)
                and (
                    served.append((r.headers.get("x-replica", "?"), r.headers.get("x-replica-address", "?"))),
                    paths.append(f"{r.url[len(base) :][:60]} {r.status} {r.headers.get('x-replica')}"),
                )
            ),
        )
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws))
        page.goto(f"{base}/{VIEW}")
        wait_settled(page)
        assert page.locator('[data-testid="stMetricValue"]').all_inner_texts()[:2] == KL_VALUES
        assert len(set(served)) == 1, paths[:12]  # page, scripts, health pings: one replica
        assert len(sockets) == 1
        replica, address = served[0]

        pid = next(r["pid"] for r in read_status(status_path)["replicas"] if r["address"] == address)
        url = page.url  # the page has added its other parameters by now
        served.clear()
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        # the frontend notices, pings /_stcore/health (HAProxy sends it to the other replica and
        # sets that replica's cookie), then opens a new websocket
        if len(sockets) < 2:
            page.wait_for_event("websocket", timeout=30_000)  # the tab reconnects within 30 s
        back_s = time.monotonic() - killed_at
        # (to the other replica, or to the restarted one if it is back already: both are fresh)
        assert len({name for name, _ in served}) == 1, served
        assert page.url == url  # the view is still on screen
        assert page.locator('[data-testid="stMetricValue"]').all_inner_texts()[:2] == KL_VALUES

        served.clear()
        paths.clear()
        page.reload()
        wait_settled(page)
        assert page.url == url
        assert page.locator('[data-testid="stMetricValue"]').all_inner_texts()[:2] == KL_VALUES
        control = page.locator('input[data-name="mu2"]')  # μ₂ of the live KL view
        control.focus()
        control.press("ArrowRight")
        page.wait_for_url(re.compile(r"mu2=-0\.99"))
        wait_settled(page)
        # the reload takes /static/… files and the favicon from the browser's cache, which still
        # shows the old replica's headers; what is never cached (the page, /_stcore/…) must agree
        fresh = [p for p in paths if p.startswith(("/gaussian-kl", "/_stcore/"))]
        assert {p.split()[2] for p in fresh} == {served[0][0]}, fresh
        print(f"tab reconnected {back_s:.1f} s after its replica ({replica}) was killed; reloaded on {served[0][0]}")
    finally:
        context.close()
