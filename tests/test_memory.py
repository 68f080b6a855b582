"""ui.memory: reruns in quick succession share one heap trim, run off the rerun's thread."""

import threading
import time

from ui import memory


def test_trims_once_per_window_on_another_thread(monkeypatch):
    calls = []
    done = threading.Event()

    def fake_trim(pad):
        calls.append((pad, threading.current_thread() is threading.main_thread()))
        done.set()
        return 1

    monkeypatch.setattr(memory, "_trim", fake_trim)
    monkeypatch.setattr(memory, "DELAY", 0.05)
    monkeypatch.setattr(memory, "_pending", False)
    assert memory.schedule_trim() is True
    assert [memory.schedule_trim() for _ in range(5)] == [False] * 5  # already due: shared
    assert done.wait(5)
    time.sleep(0.05)
    assert calls == [(0, False)]
    assert memory.schedule_trim() is True  # the window is over: the next rerun schedules again
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == 2


def test_without_glibc_nothing_is_scheduled(monkeypatch):
    monkeypatch.setattr(memory, "_trim", None)
    assert memory.schedule_trim() is False


def test_glibc_trim_is_found_on_linux():
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory._trim is not None
