"""Hand freed heap memory back to the operating system after reruns (glibc's ``malloc_trim``).

A rerun that decodes thousands of latent points or backpropagates through the VAE allocates tens
of MiB of temporaries; glibc keeps the freed pages in its heaps, so the server's RSS stays at its
high-water mark. Measured on this app (one session visiting every page, 2026-11-26): RSS 452 →
419 MiB, and 489 → 422 MiB when the latent explorer is opened first. A trim costs 3–20 ms, so it
runs on a timer thread at most once per ``DELAY`` seconds, never inside a rerun the student waits
for. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import threading

DELAY = 1.0  # seconds after a rerun; later reruns in that window share the one trim


def _find_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_trim = _find_trim()
_lock = threading.Lock()
_pending = False


def schedule_trim() -> bool:
    """Trim the heap ``DELAY`` seconds from now unless a trim is already due. True if scheduled."""
    global _pending
    if _trim is None:
        return False
    with _lock:
        if _pending:
            return False
        _pending = True
    timer = threading.Timer(DELAY, _run)
    timer.daemon = True
    timer.start()
    return True


def _run() -> None:
    global _pending
    with _lock:
        _pending = False
    _trim(0)  # ctypes releases the GIL for the call
