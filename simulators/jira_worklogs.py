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
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

FEED_PAGE_SIZE = 1000
DEFAULT_LAG_MS = 60_000


Worklog = dict[str, Any]  # the world's ``jira_worklog`` shape (datetimes for started/created/updated)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class WorklogBase:
    """Seeded worklogs: ``record(i)`` builds worklog ``i``; ``order`` lists indices by (updated, id)."""

    count: int
    first_id: int
    record: Callable[[int], Worklog]
    order: Sequence[int]
    order_updated_ms: Sequence[int]  # updated ms of order[n], non-decreasing
    by_issue: Callable[[int], Sequence[int]]  # base indices of one issue id, oldest created first


@dataclass
class FeedPage:
    values: list[tuple[int, int]]  # (worklogId, time ms)
    since: int
    until: int
    last: bool


class WorklogStore:
    def __init__(self, base: WorklogBase) -> None:
        self.base = base
        self.overlay: dict[int, Worklog] = {}  # kept in change order
        self.deleted: dict[int, int] = {}  # id -> deletion ms, in deletion order
        self._touched: list[int] = []
        self._next_id = base.first_id + base.count + 100_000

    def _index(self, worklog_id: int) -> int | None:
        i = worklog_id - self.base.first_id
        return i if 0 <= i < self.base.count else None

    def _is_touched(self, i: int) -> bool:
        pos = bisect.bisect_left(self._touched, i)
        return pos < len(self._touched) and self._touched[pos] == i

    def get(self, worklog_id: int) -> Worklog | None:
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

    def create(self, record: Worklog, now: datetime) -> Worklog:
        record = {**record, "id": self._next_id, "index": None, "harvest_entry_id": None,
                  "created": now, "updated": now}
        self._next_id += 1
        self.overlay[record["id"]] = record
        return record

    def update(self, worklog_ids: Sequence[int], now: datetime, changes: dict[str, Any]) -> list[Worklog]:
        """Edit one or many worklogs; a bulk edit gives them all one ``updatedTime``."""
        updated = []
        for worklog_id in worklog_ids:
            current = self.get(worklog_id)
            if current is None:
                continue
            record = {**current, **changes, "updated": now}
            self._leave_base(worklog_id)
            self.overlay.pop(worklog_id, None)
            self.overlay[worklog_id] = record
            updated.append(record)
        return updated

    def delete(self, worklog_ids: Sequence[int], now: datetime) -> int:
        deleted = 0
        for worklog_id in worklog_ids:
            if self.get(worklog_id) is None:
                continue
            self._leave_base(worklog_id)
            self.overlay.pop(worklog_id, None)
            self.deleted[worklog_id] = ms(now)
            deleted += 1
        return deleted

    def live_count(self) -> int:
        return self.base.count - len(self._touched) + len(self.overlay)

    # --- reads ------------------------------------------------------------------------

    def for_issue(self, issue_id: int) -> list[Worklog]:
        """Every live worklog of one issue, oldest created first."""
        rows = [self.base.record(i) for i in self.base.by_issue(issue_id) if not self._is_touched(i)]
        extra = sorted((r for r in self.overlay.values() if r["issue_id"] == issue_id),
                       key=lambda r: (r["created"], r["id"]))
        if extra:
            rows = sorted(rows + extra, key=lambda r: (r["created"], r["id"]))
        return rows

    def _updated_stream(self, since: int) -> Iterator[tuple[int, int]]:
        start = bisect.bisect_left(self.base.order_updated_ms, since)
        order, upd, first = self.base.order, self.base.order_updated_ms, self.base.first_id

        def base_part() -> Iterator[tuple[int, int]]:
            for n in range(start, len(order)):
                if not self._is_touched(order[n]):
                    yield (upd[n], first + order[n])

        overlay = sorted((ms(r["updated"]), r["id"]) for r in self.overlay.values() if ms(r["updated"]) >= since)
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
    if not last and until == since:
        # A full page of one instant: since=until would loop forever, so step past it (the rest of
        # that instant is lost, as on Jira, where tap-jira gives up in this case).
        until += 1
    return FeedPage(values, since, until, last)
