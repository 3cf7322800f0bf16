"""One QBO entity table: rows derived by index from the seed, plus an overlay of mutations.

Base rows are never materialized as a whole: ``BaseSource.row(i)`` builds row ``i`` on demand
and ``BaseSource.keys`` gives cheap accessors for properties that never decrease with the
index (``Metadata.LastUpdatedTime``, ``TxnDate``). Range conditions on those narrow a query to
an index range by bisection, so paging a 100k-row TimeActivity table costs one page of work.

A mutated base row moves to the overlay, which is kept in change order: with
``ORDER BY Metadata.LastUpdatedTime`` an updated row moves to the end, as in QBO, so a client
paging while data changes meets the duplicates and skips it must cope with.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from simulators.qbo_query import (
    Condition,
    Query,
    as_datetime,
    condition_holds,
    resolve,
    row_matches,
    sort_key,
)

LUT_PATH = ("metadata", "lastupdatedtime")
_RANGE_OPS = {"<", "<=", ">", ">=", "="}

# ("b", index) for a base row, ("o", id) for an overlay row.
Ref = tuple[str, Any]


@dataclass
class BaseSource:
    count: int
    first_id: int  # base row i has Id first_id + i, unless ``ids`` lists them
    row: Callable[[int], dict[str, Any]]
    keys: dict[tuple[str, ...], Callable[[int], Any]] = field(default_factory=dict)
    ids: list[str] | None = None

    @classmethod
    def of_rows(cls, rows: list[dict[str, Any]]) -> BaseSource:
        """A small table held as built rows (dimensions, invoices)."""
        return cls(len(rows), 0, rows.__getitem__, ids=[r["Id"] for r in rows])


@dataclass
class QueryResult:
    rows: list[dict[str, Any]]
    total: int | None  # only computed for count(*)


class EntityTable:
    def __init__(self, name: str, base: BaseSource, tz: timezone, *, is_list: bool, cdc: bool) -> None:
        self.name = name
        self.base = base
        self.tz = tz
        self.is_list = is_list
        self.cdc = cdc
        self.overlay: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, str] = {}
        self._touched: list[int] = []  # sorted base indices that left the base
        top = max((int(i) for i in base.ids if i.isdigit()), default=0) if base.ids else 0
        self._next_id = max(base.first_id + base.count, top) + 1000
        self._id_index = {entity_id: n for n, entity_id in enumerate(base.ids)} if base.ids else None

    # --- identity ---------------------------------------------------------------------

    def _index(self, entity_id: str) -> int | None:
        if self._id_index is not None:
            return self._id_index.get(entity_id)
        if not entity_id.isdigit():
            return None
        i = int(entity_id) - self.base.first_id
        return i if 0 <= i < self.base.count else None

    def _is_touched(self, i: int) -> bool:
        pos = bisect.bisect_left(self._touched, i)
        return pos < len(self._touched) and self._touched[pos] == i

    def get(self, entity_id: str) -> dict[str, Any] | None:
        if entity_id in self.overlay:
            return self.overlay[entity_id]
        i = self._index(entity_id)
        if i is None or self._is_touched(i):
            return None
        return self.base.row(i)

    def live_count(self) -> int:
        return self.base.count - len(self._touched) + len(self.overlay)

    # --- mutations (the control plane) ------------------------------------------------

    def _leave_base(self, entity_id: str) -> None:
        i = self._index(entity_id)
        if i is not None and not self._is_touched(i):
            bisect.insort(self._touched, i)

    def create(self, row: dict[str, Any], now: str) -> dict[str, Any]:
        entity_id = str(self._next_id)
        self._next_id += 1
        created = {"Id": entity_id, **row, "SyncToken": "0"}
        created["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
        self.overlay[entity_id] = created
        return created

    def update(self, entity_id: str, changes: dict[str, Any], now: str) -> dict[str, Any] | None:
        current = self.get(entity_id)
        if current is None:
            return None
        row = copy.deepcopy(current)
        for key, value in changes.items():
            if value is None:
                row.pop(key, None)
            else:
                row[key] = value
        row["SyncToken"] = str(int(row.get("SyncToken", "0")) + 1)
        row["MetaData"] = {**row.get("MetaData", {}), "LastUpdatedTime": now}
        self._leave_base(entity_id)
        self.overlay.pop(entity_id, None)  # re-insert: the overlay stays in change order
        self.overlay[entity_id] = row
        return row

    def delete(self, entity_id: str, now: str) -> bool:
        if self.get(entity_id) is None:
            return False
        self._leave_base(entity_id)
        self.overlay.pop(entity_id, None)
        self.deleted[entity_id] = now
        return True

    # --- query ------------------------------------------------------------------------

    def _bisect(self, key: Callable[[int], Any], cond: Condition, lo: int, hi: int, first_true: bool) -> int:
        while lo < hi:
            mid = (lo + hi) // 2
            if condition_holds(key(mid), cond, self.tz) == first_true:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _narrow(self, conditions: tuple[Condition, ...]) -> tuple[int, int, tuple[Condition, ...]]:
        lo, hi = 0, self.base.count
        residual: list[Condition] = []
        for cond in conditions:
            key = self.base.keys.get(cond.path)
            if key is None or cond.op not in _RANGE_OPS:
                residual.append(cond)
                continue
            if cond.op in (">", ">=", "="):
                lower = Condition(cond.path, ">=" if cond.op == "=" else cond.op, cond.value)
                lo = max(lo, self._bisect(key, lower, lo, hi, first_true=True))
            if cond.op in ("<", "<=", "="):
                upper = Condition(cond.path, "<=" if cond.op == "=" else cond.op, cond.value)
                hi = min(hi, self._bisect(key, upper, lo, hi, first_true=False))
        return lo, max(lo, hi), tuple(residual)

    def _nth_untouched(self, lo: int, k: int) -> int:
        x = lo + k
        for t in self._touched[bisect.bisect_left(self._touched, lo):]:
            if t <= x:
                x += 1
            else:
                break
        return x

    def _fetch(self, ref: Ref) -> dict[str, Any]:
        return self.base.row(ref[1]) if ref[0] == "b" else self.overlay[ref[1]]

    def _scan(
        self, lo: int, hi: int, residual: tuple[Condition, ...], conds: tuple[Condition, ...]
    ) -> Iterator[Ref]:
        for i in range(lo, hi):
            if not self._is_touched(i) and row_matches(self.base.row(i), residual, self.tz):
                yield ("b", i)
        for entity_id, row in self.overlay.items():
            if row_matches(row, conds, self.tz):
                yield ("o", entity_id)

    def execute(self, query: Query) -> QueryResult:
        conds = query.conditions
        if self.is_list and not query.mentions(("active",)):
            # Inactive list entities are hidden unless the query names Active itself.
            conds = (*conds, Condition(("active",), "=", True))
        lo, hi, residual = self._narrow(conds)
        by_lut = query.order_path == LUT_PATH and LUT_PATH in self.base.keys
        natural = query.order_path is None or by_lut
        start, limit = query.start_position - 1, query.max_results
        if natural and not residual:
            return self._execute_ranged(query, lo, hi, conds, start, limit)
        refs = self._scan(lo, hi, residual, conds)
        if natural and not query.descending and not query.count:
            page: list[dict[str, Any]] = []
            for n, ref in enumerate(refs):
                if n >= start + limit:
                    break
                if n >= start:
                    page.append(self._fetch(ref))
            return QueryResult(page, None)
        matched = list(refs)
        if query.count:
            return QueryResult([], len(matched))
        if not natural:
            path = query.order_path or LUT_PATH
            matched.sort(key=lambda ref: sort_key(resolve(self._fetch(ref), path), self.tz))
        if query.descending:
            matched.reverse()
        return QueryResult([self._fetch(ref) for ref in matched[start:start + limit]], None)

    def _execute_ranged(
        self, query: Query, lo: int, hi: int, conds: tuple[Condition, ...], start: int, limit: int
    ) -> QueryResult:
        touched_in_range = bisect.bisect_left(self._touched, hi) - bisect.bisect_left(self._touched, lo)
        base_n = hi - lo - touched_in_range
        overlay_ids = [i for i, row in self.overlay.items() if row_matches(row, conds, self.tz)]
        total = base_n + len(overlay_ids)
        if query.count:
            return QueryResult([], total)
        rows = []
        for k in range(start, min(total, start + limit)):
            pos = total - 1 - k if query.descending else k
            if pos < base_n:
                rows.append(self.base.row(self._nth_untouched(lo, pos)))
            else:
                rows.append(self.overlay[overlay_ids[pos - base_n]])
        return QueryResult(rows, None)

    # --- change data capture ----------------------------------------------------------

    def changed_since(self, since: datetime) -> list[dict[str, Any]]:
        """Rows and tombstones changed at or after ``since``, oldest first."""
        cond = Condition(LUT_PATH, ">=", since.isoformat())
        lo, hi, _ = self._narrow((cond,))
        changed: list[tuple[float, dict[str, Any]]] = []
        for i in range(lo, hi):
            if not self._is_touched(i):
                row = self.base.row(i)
                ts = self._ts(row["MetaData"]["LastUpdatedTime"])
                if ts >= since.timestamp():
                    changed.append((ts, row))
        for row in self.overlay.values():
            ts = self._ts(row["MetaData"]["LastUpdatedTime"])
            if ts >= since.timestamp():
                changed.append((ts, row))
        for entity_id, when in self.deleted.items():
            ts = self._ts(when)
            if ts >= since.timestamp():
                tombstone = {"Id": entity_id, "status": "Deleted", "domain": "QBO",
                             "MetaData": {"LastUpdatedTime": when}}
                changed.append((ts, tombstone))
        changed.sort(key=lambda pair: pair[0])
        return [row for _, row in changed]

    def _ts(self, text: str) -> float:
        parsed = as_datetime(text, self.tz)
        return parsed.timestamp() if parsed else 0.0
