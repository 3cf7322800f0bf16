"""Test-only fault points: SIGKILL this process when a named phase is reached for the Nth time.

The pipeline calls `fault_point(phase)` (or wraps a page in `fault_page(phase, records)`) at the moments
the fault suite (`tests/faults/`) kills it. Nothing happens unless the environment arms a phase:

    TIMESYNC_FAULT=between_pages:3          SIGKILL at the 3rd time any listing finishes a page
    TIMESYNC_FAULT=load_data:1@0.01         the 1st LOAD DATA: SIGKILL 10 ms after it starts (mid-send)
    TIMESYNC_FAULT=mid_page:2,token_rotated:1   several phases; the first reached wins

Reaches are counted per process (every stream, thread and company alike). Before dying the hook
writes one line to stderr, `timesync fault: SIGKILL at <phase> #<n>`, so a test can tell the kill it
asked for from any other death. `TIMESYNC_FAULT_TRACE=<file>` appends `<phase>` for every reach
(armed or not), for counting how often a run passes each phase.

Unarmed (the variable unset, as in production) `fault_point` is a function that returns at once:
one call and one global test per phase reached (per page at most, never per record).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

PHASES: dict[str, str] = {
    "mid_page": "inside a listing: half of a page's records handed to the staging writer",
    "between_pages": "a page staged, the next not yet asked for",
    "load_data": "a staging batch's LOAD DATA LOCAL INFILE about to be sent (with @delay: while it is sent)",
    "before_sweep": "every page staged and flushed, the delete sweep not yet run",
    "reconcile_transaction": "every merge of the reconcile transaction run, not yet committed",
    "before_watermark": "a fact merge run, its merge watermark not yet stored",
    "token_rotated": "the QBO token endpoint answered with a rotated token, not yet stored",
}
ENV = "TIMESYNC_FAULT"
TRACE_ENV = "TIMESYNC_FAULT_TRACE"


def parse(spec: str) -> dict[str, tuple[int, float]]:
    """`phase:n[@delay],…` as {phase: (n, delay seconds)}; unknown phases are refused (a typo kills nothing)."""
    armed: dict[str, tuple[int, float]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, rest = part.partition(":")
        count, _, delay = (rest or "1").partition("@")
        if name not in PHASES:
            raise ValueError(f"{ENV}: unknown phase {name!r} (known: {', '.join(PHASES)})")
        armed[name] = (max(1, int(count)), float(delay or 0))
    return armed


_armed = parse(os.environ.get(ENV, ""))
_trace = os.environ.get(TRACE_ENV) or None
_active = bool(_armed) or _trace is not None
_reached: dict[str, int] = {}
_lock = threading.Lock()


def fault_point(phase: str) -> None:
    """Count a reach of `phase`; SIGKILL the process at the armed reach. A no-op unless armed."""
    if _active:
        _reach(phase)


def fault_page(phase: str, records: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """The page itself, unless `phase` is armed: then its records one by one, the phase reached halfway."""
    if not _active:
        return records
    return _halfway(phase, records)


def _halfway(phase: str, records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    half = len(records) // 2
    for n, record in enumerate(records):
        if n == half:
            _reach(phase)
        yield record


def _reach(phase: str) -> None:
    with _lock:
        n = _reached[phase] = _reached.get(phase, 0) + 1
        if _trace is not None:
            with open(_trace, "a", encoding="utf-8") as fh:
                fh.write(phase + "\n")
    armed = _armed.get(phase)
    if armed is None or armed[0] != n:
        return
    delay = armed[1]
    if delay <= 0:
        _kill(phase, n)
        return
    threading.Thread(target=_kill_later, args=(phase, n, delay), daemon=True, name="timesync-fault").start()


def _kill_later(phase: str, n: int, delay: float) -> None:
    time.sleep(delay)
    _kill(phase, n)


def _kill(phase: str, n: int) -> None:
    sys.stderr.write(f"\ntimesync fault: SIGKILL at {phase} #{n}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
