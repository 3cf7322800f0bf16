"""Pausing Python's cyclic garbage collector around bulk work, safely across threads.

Decoding a page and typing its records allocate tens of thousands of dicts and tuples that are
freed by reference counting; the collector's passes over them (triggered by allocation counts)
cost about a tenth of that work. Pauses nest and overlap between threads: the collector runs
again when the last pause ends, if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
