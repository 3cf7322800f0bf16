"""Jira worklogs: seeded base derived by index, a mutation overlay, and the change feeds.

``worklog/updated`` and ``worklog/deleted`` page oldest first, at most 1000 per page, and
leave out changes younger than ``lag_ms`` (Jira: one minute). ``since`` is treated as
inclusive (Jira's spec says "after", tap-jira assumes ``<=``; unconfirmed), so a page boundary
inside a group of worklogs sharing one ``updatedTime`` repeats that group on the next page
instead of losing it; clients dedupe on ``worklogId``.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

FEED_PAGE_SIZE = 1000
DEFAULT_LAG_MS = 60_000


@dataclass(frozen=True)
class WorklogRecord:
    id: int
    issue: int  # issue index in the site
    author: int  # user index in the site
    started_ms: int
    seconds: int
    created_ms: int
    updated_ms: int
    comment: str
    visibility: str | None = None  # group name, when restricted
    update_author: int | None = None


@dataclass
class WorklogBase:
    """Worklog ``i`` of the seeded site; ``updated_ms(i)`` never decreases with ``i``."""

    count: int
    first_id: int
    record: Callable[[int], WorklogRecord]
    updated_ms: Callable[[int], int]
    by_issue: Callable[[int], Sequence[int]]  # base indices of one issue, in created order


@dataclass
class FeedPage:
    values: list[tuple[int, int]]  # (worklogId, time ms)
    since: int
    until: int
    last: bool


class WorklogStore:
    def __init__(self, base: WorklogBase) -> None:
        self.base = base
        self.overlay: dict[int, WorklogRecord] = {}  # kept in change order
        self.deleted: dict[int, int] = {}  # id -> deletion ms, in deletion order
        self._touched: list[int] = []
        self._next_id = base.first_id + base.count + 100_000

    def _index(self, worklog_id: int) -> int | None:
        i = worklog_id - self.base.first_id
        return i if 0 <= i < self.base.count else None

    def _is_touched(self, i: int) -> bool:
        pos = bisect.bisect_left(self._touched, i)
        return pos < len(self._touched) and self._touched[pos] == i

    def get(self, worklog_id: int) -> WorklogRecord | None:
        if worklog_id in self.overlay:
            return self.overlay[worklog_id]
        i = self._index(worklog_id)
        if i is None or self._is_touched(i) or worklog_id in self.deleted:
            return None
        return self.base.record(i)

    def _leave_base(self, worklog_id: int) -> None:
        i = self._index(worklog_id)
        if i is not None and not self._is_touched(i):
            bisect.insort(self._touched, i)

    # --- mutations --------------------------------------------------------------------

    def create(self, issue: int, author: int, started_ms: int, seconds: int, comment: str, now_ms: int,
               visibility: str | None = None) -> WorklogRecord:
        record = WorklogRecord(self._next_id, issue, author, started_ms, seconds, now_ms, now_ms, comment,
                               visibility, author)
        self._next_id += 1
        self.overlay[record.id] = record
        return record

    def update(self, worklog_ids: Sequence[int], now_ms: int, **changes: object) -> list[WorklogRecord]:
        """Edit one or many worklogs; a bulk edit gives them all one ``updatedTime``."""
        updated = []
        for worklog_id in worklog_ids:
            current = self.get(worklog_id)
            if current is None:
                continue
            record = replace(current, updated_ms=now_ms, **changes)  # type: ignore[arg-type]
            self._leave_base(worklog_id)
            self.overlay.pop(worklog_id, None)
            self.overlay[worklog_id] = record
            updated.append(record)
        return updated

    def delete(self, worklog_ids: Sequence[int], now_ms: int) -> int:
        deleted = 0
        for worklog_id in worklog_ids:
            if self.get(worklog_id) is None:
                continue
            self._leave_base(worklog_id)
            self.overlay.pop(worklog_id, None)
            self.deleted[worklog_id] = now_ms
            deleted += 1
        return deleted

    def live_count(self) -> int:
        return self.base.count - len(self._touched) + len(self.overlay)

    # --- reads ------------------------------------------------------------------------

    def for_issue(self, issue: int) -> list[WorklogRecord]:
        """Every live worklog of one issue, oldest created first."""
        rows = [self.base.record(i) for i in self.base.by_issue(issue) if not self._is_touched(i)]
        rows.extend(r for r in self.overlay.values() if r.issue == issue)
        rows.sort(key=lambda r: (r.created_ms, r.id))
        return rows

    def count_for_issue(self, issue: int) -> int:
        touched = sum(1 for i in self.base.by_issue(issue) if self._is_touched(i))
        extra = sum(1 for r in self.overlay.values() if r.issue == issue)
        return len(self.base.by_issue(issue)) - touched + extra

    def _updated_stream(self, since: int) -> Iterator[tuple[int, int]]:
        lo, hi = 0, self.base.count
        while lo < hi:
            mid = (lo + hi) // 2
            if self.base.updated_ms(mid) >= since:
                hi = mid
            else:
                lo = mid + 1

        def base_part() -> Iterator[tuple[int, int]]:
            for i in range(lo, self.base.count):
                if not self._is_touched(i):
                    yield (self.base.updated_ms(i), self.base.first_id + i)

        overlay = sorted((r.updated_ms, r.id) for r in self.overlay.values() if r.updated_ms >= since)
        return heapq.merge(base_part(), iter(overlay))

    def updated_feed(self, since: int, now_ms: int, lag_ms: int = DEFAULT_LAG_MS,
                     limit: int = FEED_PAGE_SIZE) -> FeedPage:
        return _page(self._updated_stream(since), since, now_ms - lag_ms, limit)

    def deleted_feed(self, since: int, now_ms: int, lag_ms: int = DEFAULT_LAG_MS,
                     limit: int = FEED_PAGE_SIZE) -> FeedPage:
        stream = sorted((ms, wid) for wid, ms in self.deleted.items() if ms >= since)
        return _page(iter(stream), since, now_ms - lag_ms, limit)


def _page(stream: Iterator[tuple[int, int]], since: int, cutoff: int, limit: int) -> FeedPage:
    taken = [(ms, wid) for ms, wid in islice(stream, limit + 1)]
    eligible = [(ms, wid) for ms, wid in taken if ms <= cutoff]
    values = [(wid, ms) for ms, wid in eligible[:limit]]
    last = len(eligible) <= limit
    until = values[-1][1] if values else since
    return FeedPage(values, since, until, last)
