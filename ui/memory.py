"""Hand freed heap memory back to the operating system when the server goes quiet (glibc's
``malloc_trim``).

A rerun that decodes thousands of latent points or backpropagates through the VAE allocates tens
of MiB of temporaries; glibc keeps the freed pages in its heaps, so the server's RSS stays at its
high-water mark until it is trimmed (what it saves on this app: docs/design_notes.md, "Memory").

A trim costs 3–20 ms, and pages it returns are faulted in again by the next heavy rerun: trimming
once a second under a 30-student load cost ~6 ms of server CPU per rerun (51 vs 45 ms). So the
trim waits until no rerun has started for ``QUIET`` seconds, or at most ``MAX_WAIT`` seconds under
continuous load, and runs on a timer thread, never inside a rerun a student waits for. Elsewhere
(macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time

QUIET = 1.0  # seconds without a rerun before the heap is trimmed
MAX_WAIT = 30.0  # ... or this long after the first untrimmed rerun, however busy the server is


def _find_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_trim = _find_trim()
_lock = threading.Lock()
_pending = False
_last_rerun = 0.0
_first_rerun = 0.0


def schedule_trim() -> bool:
    """Note a rerun; trim once the server is quiet (or overdue). True if this call started the wait."""
    global _pending, _last_rerun, _first_rerun
    if _trim is None:
        return False
    now = time.monotonic()
    with _lock:
        _last_rerun = now
        if _pending:
            return False
        _pending, _first_rerun = True, now
    _start(QUIET)
    return True


def _start(delay: float) -> None:
    timer = threading.Timer(delay, _check)
    timer.daemon = True
    timer.start()


def _check() -> None:
    global _pending
    now = time.monotonic()
    with _lock:
        wait = min(_last_rerun + QUIET, _first_rerun + MAX_WAIT) - now
        if wait > 0:
            again = True
        else:
            again, _pending = False, False
    if again:
        _start(wait)
        return
    _trim(0)  # ctypes releases the GIL for the call
