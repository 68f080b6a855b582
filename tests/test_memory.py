"""ui.memory: the heap is trimmed once the server goes quiet (or is overdue), off the rerun's thread."""

import threading
import time

import pytest

from ui import memory


@pytest.fixture
def trims(monkeypatch):
    calls = []

    def fake_trim(pad):
        calls.append((pad, threading.current_thread() is threading.main_thread(), time.monotonic()))
        return 1

    monkeypatch.setattr(memory, "_trim", fake_trim)
    monkeypatch.setattr(memory, "_pending", False)
    monkeypatch.setattr(memory, "QUIET", 0.1)
    monkeypatch.setattr(memory, "MAX_WAIT", 10.0)
    return calls


def wait_for(calls, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(calls) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_burst_of_reruns_shares_one_trim_after_the_last(trims):
    assert memory.schedule_trim() is True
    last = time.monotonic()
    for _ in range(5):  # reruns 40 ms apart keep postponing the trim
        time.sleep(0.04)
        last = time.monotonic()
        assert memory.schedule_trim() is False
    wait_for(trims, 1)
    time.sleep(0.15)
    assert len(trims) == 1
    pad, on_main, at = trims[0]
    assert pad == 0 and not on_main and at - last >= 0.1 - 0.01
    assert memory.schedule_trim() is True  # the next rerun starts a new wait
    wait_for(trims, 2)
    assert len(trims) == 2


def test_continuous_load_still_trims_by_max_wait(trims, monkeypatch):
    monkeypatch.setattr(memory, "MAX_WAIT", 0.3)
    start = time.monotonic()
    memory.schedule_trim()
    while not trims and time.monotonic() - start < 3:  # never quiet for 0.1 s
        memory.schedule_trim()
        time.sleep(0.02)
    assert trims and 0.3 - 0.01 <= trims[0][2] - start < 1.0


def test_without_glibc_nothing_is_scheduled(monkeypatch):
    monkeypatch.setattr(memory, "_trim", None)
    assert memory.schedule_trim() is False


def test_glibc_trim_is_found_on_linux():
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._trim is not None
