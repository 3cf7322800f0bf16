"""What a complete listing's scope already holds in staging: each live row's key and row hash.

Before a full or window listing the staged (key, row_hash) of every row in its scope is read once
and held compactly (numpy arrays for integer keys: 25 bytes a row). The writer then skips records
whose row hash is unchanged — no typing, no TSV, no LOAD — and the sweep marks deleted exactly the
live rows the listing did not return, so a skipped row needs no write to count as seen.

A row staged more than half the staging retention ago is rewritten even when unchanged: retention
deletes by `staged_at`, and a row that listings still return must never expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from resources.config import staging_retention_days
from resources.mysql import Database
from resources.sql import load_sql

DELETED, STALE, FRESH = 0, 1, 2
CHUNK_ROWS = 200_000  # one GROUP_CONCAT per chunk: ≈ 9 MB, under MariaDB's 16 MB max_allowed_packet


@dataclass(frozen=True)
class Scope:
    """The rows a complete listing covers: a date window of the table, or (None) all its rows."""

    window: tuple[date, date] | None = None


class KnownRows:
    """Staged rows of one scope; `unchanged` answers per page and remembers which keys were seen."""

    def __init__(self, arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                 mapping: dict[Any, tuple[bytes, int]] | None) -> None:
        self._integer_keys = arrays is not None
        if arrays is not None:
            keys, hashes, states = arrays
            order = np.argsort(keys, kind="stable")
            self._keys, self._hashes, self._states = keys[order], hashes[order], states[order]
            self._seen = np.zeros(len(keys), dtype=bool)
        else:
            self._rows = mapping or {}
            self._seen_keys: set[Any] = set()

    @classmethod
    def of_arrays(cls, keys: np.ndarray, hashes: np.ndarray, states: np.ndarray) -> KnownRows:
        """Integer keys: int64 keys, S32 lower-hex row hashes, int8 states."""
        return cls((keys, hashes, states), None)

    @classmethod
    def of_mapping(cls, rows: dict[Any, tuple[bytes, int]]) -> KnownRows:
        """Other keys: key -> (lower-hex row hash as bytes, state)."""
        return cls(None, rows)

    def __len__(self) -> int:
        return len(self._keys) if self._integer_keys else len(self._rows)

    def unchanged(self, keys: list[Any], hashes: list[str]) -> list[bool]:
        """For each (key, hex row hash) of a page: is that exact row staged, live and fresh?"""
        if not self._integer_keys:
            self._seen_keys.update(keys)
            rows = self._rows
            out = []
            for key, row_hash in zip(keys, hashes, strict=True):
                known = rows.get(key)
                out.append(known is not None and known[1] == FRESH and known[0] == row_hash.encode())
            return out
        n = len(self._keys)
        if n == 0 or not keys:
            return [False] * len(keys)
        wanted = np.asarray(keys, dtype=np.int64)
        at = np.searchsorted(self._keys, wanted)
        at[at == n] = 0
        found = self._keys[at] == wanted
        self._seen[at[found]] = True
        same = found & (self._states[at] == FRESH) & (self._hashes[at] == np.asarray(hashes, dtype="S32"))
        return same.tolist()

    def unseen(self) -> list[Any]:
        """Keys of live rows in the scope that no page returned."""
        if not self._integer_keys:
            return [k for k, (_h, state) in self._rows.items() if state != DELETED and k not in self._seen_keys]
        return self._keys[~self._seen & (self._states != DELETED)].tolist()


def refresh_seconds() -> int:
    """How long an unchanged staged row may go unwritten: half the staging retention."""
    return staging_retention_days() * 86_400 // 2


def load_known_rows(db: Database, table: Any, company_id: int, scope: Scope) -> KnownRows:
    """Read the scope's staged rows in key order, one GROUP_CONCAT text value per chunk.

    One text value per chunk instead of one protocol row per staged row: parsing 1M rows through
    pymysql costs ~6 s, this ~2 s.
    """
    integer_keys = table.key.kind == "int"
    params: dict[str, Any] = {"company_id": company_id, "refresh_seconds": refresh_seconds(), "chunk": CHUNK_ROWS}
    condition = ""
    if scope.window is not None:
        if table.span_columns:
            condition = load_sql("staging/known_rows_overlapping.sql")
        elif table.window_column:
            condition = load_sql("staging/known_rows_within.sql")
        else:
            raise ValueError(f"{table.name} declares no window column to scope a listing by")
        params.update(window_start=scope.window[0], window_end=scope.window[1])
    sql = table.render(load_sql("staging/known_rows.sql").replace("{scope_condition}", condition))
    keys: list[Any] = []
    hashes: list[Any] = []
    states: list[Any] = []
    after: Any = None
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(load_sql("staging/allow_long_group_concat.sql"))
            while True:
                cur.execute(sql, {**params, "after": after})
                count, last, text = cur.fetchone()
                if not count:
                    break
                fields = text.split("\x1f")
                if integer_keys:
                    keys.append(np.asarray(fields[0::3], dtype=np.int64))
                    hashes.append(np.asarray(fields[1::3], dtype="S32"))
                    states.append(np.asarray(fields[2::3], dtype=np.int8))
                    after = int(last)
                else:
                    keys.extend(fields[0::3])
                    hashes.extend(h.encode() for h in fields[1::3])
                    states.extend(int(v) for v in fields[2::3])
                    after = last
                if count < CHUNK_ROWS:
                    break
    finally:
        conn.close()
    if integer_keys:
        return KnownRows.of_arrays(*(np.concatenate(parts) if parts else np.empty(0, dtype=kind)
                                     for parts, kind in ((keys, np.int64), (hashes, "S32"), (states, np.int8))))
    return KnownRows.of_mapping({k: (h, st) for k, h, st in zip(keys, hashes, states, strict=True)})
