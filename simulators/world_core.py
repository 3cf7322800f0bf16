"""Deterministic building blocks of the simulated world: hashing RNG, clock, scales, overlay, listing.

Big streams (time entries, worklogs, time activities) are never materialised: record ``i`` is a pure
function of ``(seed, company, stream, i)`` through :class:`Rng`, and dates are monotone in ``i`` so a date
window is an index range. Mutations live in a small :class:`Overlay` per (system, resource) and
:func:`list_merged` merges it back into an index-ordered base stream for paging.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

MASK64 = (1 << 64) - 1


def stable_int(*parts: object) -> int:
    """A 64-bit integer from any printable parts, stable across processes (unlike ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class Rng:
    """Tiny splitmix64 generator: cheap to create per record, so record i needs no predecessor."""

    __slots__ = ("state",)

    def __init__(self, seed: int, index: int = 0) -> None:
        self.state = splitmix(seed ^ splitmix(index))

    def next(self) -> int:
        self.state = splitmix(self.state)
        return self.state

    # below/chance/choice inline splitmix: they run about 16 times per generated record.
    def below(self, n: int) -> int:
        x = (self.state + 0x9E3779B97F4A7C15) & MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
        self.state = x = x ^ (x >> 31)
        return x % n if n > 0 else 0

    def chance(self, per: int) -> bool:
        """True with probability 1/per."""
        return self.below(per) == 0

    def choice(self, seq: list[Any] | tuple[Any, ...]) -> Any:
        x = (self.state + 0x9E3779B97F4A7C15) & MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
        self.state = x = x ^ (x >> 31)
        n = len(seq)
        return seq[x % n if n > 0 else 0]

    def unit(self) -> float:
        return (self.next() >> 11) / float(1 << 53)


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    clients: int
    projects: int
    time_entries: int
    worklogs: int
    time_activities: int
    days_back: int
    issues_per_project: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 12, 5, 10, 2_500, 600, 300, 183, 15),
    "small": Scale("small", 30, 10, 24, 20_000, 5_000, 2_000, 365, 40),
    "medium": Scale("medium", 120, 30, 80, 200_000, 60_000, 15_000, 730, 150),
    "large": Scale("large", 400, 80, 240, 1_000_000, 500_000, 100_000, 1095, 400),
}


class Clock:
    """The world's notion of now: real UTC time, optionally frozen and/or advanced by tests."""

    def __init__(self) -> None:
        self.frozen: datetime | None = None
        self.offset = timedelta()

    def now(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def iso(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def control(self, advance: float | None = None, freeze: str | None = "keep") -> None:
        if advance:
            self.offset += timedelta(seconds=advance)
        if freeze != "keep":
            self.frozen = datetime.fromisoformat(freeze.replace("Z", "+00:00")) if freeze else None


def iso_z(ts: datetime) -> str:
    """Harvest-style second-precision UTC timestamp."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    # isoformat is several times cheaper than strftime; it is "YYYY-MM-DDTHH:MM:SS+00:00" here
    # (or with ".ffffff" before the offset), and years before 1000 never occur in a world.
    return ts.isoformat()[:19] + "Z"


def workdays(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


class DateIndex:
    """Maps record index <-> date for ``n`` records spread evenly over ``days`` (monotone)."""

    def __init__(self, days: list[date], n: int) -> None:
        self.days, self.n = days, n
        self._ord = [d.toordinal() for d in days]

    def date_of(self, i: int) -> date:
        return self.days[i * len(self.days) // self.n]

    def first_index_on_or_after(self, d: date) -> int:
        k = bisect_left(self._ord, d.toordinal())
        return min(self.n, -(-k * self.n // len(self.days)))

    def index_range(self, start: date | None, end: date | None) -> tuple[int, int]:
        """Indexes whose date lies in [start, end] (either bound optional)."""
        lo = self.first_index_on_or_after(start) if start else 0
        hi = self.first_index_on_or_after(end + timedelta(days=1)) if end else self.n
        return lo, max(lo, hi)


@dataclass
class Overlay:
    """Mutations of one (system, resource): patches/deletes of base ids and wholly created records."""

    patches: dict[Any, dict[str, Any]] = field(default_factory=dict)
    deleted: set[Any] = field(default_factory=set)
    created: dict[Any, dict[str, Any]] = field(default_factory=dict)

    def apply(self, record: dict[str, Any]) -> dict[str, Any] | None:
        rid = record["id"]
        if rid in self.deleted:
            return None
        patch = self.patches.get(rid)
        return {**record, **patch} if patch else record

    def touched(self) -> set[Any]:
        return self.deleted | set(self.patches)

    def __bool__(self) -> bool:
        return bool(self.patches or self.deleted or self.created)


class Candidates:
    """Base indexes in ascending order: a range minus excluded indexes, or an explicit sorted list."""

    def __init__(self, lo: int, hi: int, excluded: Iterable[int] = (), explicit: list[int] | None = None):
        self.lo, self.hi, self.explicit = lo, hi, explicit
        self.excluded = sorted(x for x in set(excluded) if lo <= x < hi)

    def count(self) -> int:
        if self.explicit is not None:
            return len(self.explicit)
        return self.hi - self.lo - len(self.excluded)

    def count_below(self, b: int) -> int:
        if self.explicit is not None:
            return bisect_left(self.explicit, b)
        b = min(max(b, self.lo), self.hi)
        return b - self.lo - bisect_left(self.excluded, b)

    def iter_from(self, k: int) -> Iterator[int]:
        if self.explicit is not None:
            yield from self.explicit[k:]
            return
        x = self.lo + k
        for t in self.excluded:
            if t <= x:
                x += 1
        skip = set(self.excluded)
        while x < self.hi:
            if x not in skip:
                yield x
            x += 1


def list_merged(cands: Candidates, extras: list[dict[str, Any]], extra_base_pos: Callable[[dict], int],
                extra_key: Callable[[dict], Any], make: Callable[[int], dict[str, Any]],
                offset: int, limit: int, descending: bool) -> tuple[int, list[dict[str, Any]]]:
    """Page ``[offset, offset+limit)`` of base candidates merged with ``extras`` (already filtered).

    ``extra_base_pos(e)`` is the base index before which ``e`` sorts (ascending), ``make(i)`` renders base
    record ``i``. Returns (total, page).
    """
    extras = sorted(extras, key=extra_key)
    positions = [cands.count_below(extra_base_pos(e)) + n for n, e in enumerate(extras)]
    total = cands.count() + len(extras)
    if descending:
        lo_asc, hi_asc = max(0, total - offset - limit), max(0, total - offset)
    else:
        lo_asc, hi_asc = min(total, offset), min(total, offset + limit)
    if hi_asc <= lo_asc:
        return total, []
    out: list[dict[str, Any]] = []
    pos_set = {p: e for p, e in zip(positions, extras, strict=True)}
    extras_before = bisect_left(positions, lo_asc)
    base_iter = cands.iter_from(lo_asc - extras_before)
    for p in range(lo_asc, hi_asc):
        out.append(pos_set[p] if p in pos_set else make(next(base_iter)))
    if descending:
        out.reverse()
    return total, out


def month_key(d: date | str) -> str:
    return (d.isoformat() if isinstance(d, date) else d)[:7]


def dt_at(d: date, seconds: int) -> datetime:
    return _midnight(d) + timedelta(seconds=seconds)


@lru_cache(maxsize=8192)
def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def to_wire(value: Any, stamp: Callable[[datetime], str]) -> Any:
    """A record in a vendor's wire format: timestamps by `stamp`, dates ISO, recursively."""
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_wire(v, stamp) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v, stamp) for v in value]
    return value
