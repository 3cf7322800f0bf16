"""What a complete listing's scope already holds in staging: each live row's key and row hash.

Before a full or window listing the staged (key, row_hash) of every row in its scope is read once
and held compactly (numpy arrays for integer keys: 26 bytes a row). The writer then skips records
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
from resources.sql import load_sql, quote_identifier

DELETED, STALE, FRESH = 0, 1, 2
CHUNK_ROWS = 100_000  # one GROUP_CONCAT per chunk: ≤ 5 MB, well under MariaDB's 16 MB max_allowed_packet
# What known_rows.sql sends per row for integer keys, as bytes: key (big-endian two's complement), row hash, state.
PACKED_ROW = np.dtype([("key", ">i8"), ("hash", "V16"), ("state", "i1")])


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
            if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
                order = np.argsort(keys, kind="stable")
                keys, hashes, states = keys[order], hashes[order], states[order]
            self._keys, self._hashes, self._states = keys, hashes, states
            self._seen = np.zeros(len(keys), dtype=bool)
        else:
            self._rows = mapping or {}
            self._seen_keys: set[Any] = set()

    @classmethod
    def of_arrays(cls, keys: np.ndarray, hashes: np.ndarray, states: np.ndarray) -> KnownRows:
        """Integer keys: int64 keys, the 16-byte row hashes as (n, 2) big-endian uint64, int8 states."""
        return cls((keys, hashes, states), None)

    @classmethod
    def of_mapping(cls, rows: dict[Any, tuple[bytes, int]]) -> KnownRows:
        """Other keys: key -> (16-byte row hash, state)."""
        return cls(None, rows)

    def __len__(self) -> int:
        return len(self._keys) if self._integer_keys else len(self._rows)

    def unchanged(self, keys: list[Any], digests: list[bytes]) -> list[bool]:
        """For each (key, 16-byte md5 row hash) of a page: is that exact row staged, live and fresh?"""
        if not self._integer_keys:
            self._seen_keys.update(keys)
            rows = self._rows
            out = []
            for key, digest in zip(keys, digests, strict=True):
                known = rows.get(key)
                out.append(known is not None and known[1] == FRESH and known[0] == digest)
            return out
        n = len(self._keys)
        if n == 0 or not keys:
            return [False] * len(keys)
        wanted = np.asarray(keys, dtype=np.int64)
        at = np.searchsorted(self._keys, wanted)
        at[at == n] = 0
        found = self._keys[at] == wanted
        self._seen[at[found]] = True
        page = np.frombuffer(b"".join(digests), dtype=">u8").reshape(-1, 2)
        stored = self._hashes[at]
        same = found & (self._states[at] == FRESH) & (stored[:, 0] == page[:, 0]) & (stored[:, 1] == page[:, 1])
        return same.tolist()

    def unseen(self) -> list[Any]:
        """Keys of live rows in the scope that no page returned."""
        if not self._integer_keys:
            return [k for k, (_h, state) in self._rows.items() if state != DELETED and k not in self._seen_keys]
        return self._keys[~self._seen & (self._states != DELETED)].tolist()


def refresh_seconds() -> int:
    """How long an unchanged staged row may go unwritten: half the staging retention."""
    return staging_retention_days() * 86_400 // 2


def known_rows_sql(table: Any, scope: Scope) -> str:
    """The query reading one chunk of the scope's known rows (see known_rows.sql)."""
    condition, hint = "", ""
    if scope.window is not None:
        if table.span_columns:
            condition = load_sql("staging/known_rows_overlapping.sql")
        elif table.window_column:
            condition = load_sql("staging/known_rows_within.sql")
        else:
            raise ValueError(f"{table.name} declares no window column to scope a listing by")
    if table.known_index and (scope.window is None or table.window_in_known_index):
        # The optimizer prefers the primary key, whose pages are mostly raw_json.
        hint = f"FORCE INDEX ({quote_identifier(table.known_index)})"
    row_text = load_sql("staging/known_row_int.sql" if table.key.kind == "int" else "staging/known_row_text.sql")
    return table.render(load_sql("staging/known_rows.sql").replace("{row_text}", row_text)
                        .replace("{scope_condition}", condition).replace("{index_hint}", hint))


def load_known_rows(db: Database, table: Any, company_id: int, scope: Scope) -> KnownRows:
    """Read the scope's staged rows in key order, one GROUP_CONCAT text value per chunk.

    One text value per chunk instead of one protocol row per staged row: parsing 1M rows through
    pymysql costs ~6 s; integer keys arrive as hex that becomes a packed array in one call (~0.1 s).
    """
    integer_keys = table.key.kind == "int"
    params: dict[str, Any] = {"company_id": company_id, "refresh_seconds": refresh_seconds(), "chunk": CHUNK_ROWS}
    if scope.window is not None:
        params.update(window_start=scope.window[0], window_end=scope.window[1])
    sql = known_rows_sql(table, scope)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    rows: dict[Any, tuple[bytes, int]] = {}
    after: Any = None
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(load_sql("staging/allow_long_group_concat.sql"))
            cur.execute(load_sql("staging/stale_before.sql"), params)
            params["stale_before"] = cur.fetchone()[0]
            while True:
                cur.execute(sql, {**params, "after": after})
                count, last, text = cur.fetchone()
                if not count:
                    break
                if integer_keys:
                    packed = np.frombuffer(bytes.fromhex(text), dtype=PACKED_ROW)
                    parts[0].append(packed["key"].astype(np.int64))
                    parts[1].append(np.ascontiguousarray(packed["hash"]).view(">u8").reshape(-1, 2))
                    parts[2].append(packed["state"].copy())
                    del packed
                    after = int(last)
                else:
                    fields = text.split("\x1f")[:-1]  # every field ends with the separator
                    for key, row_hash, state in zip(fields[0::3], fields[1::3], fields[2::3], strict=True):
                        rows[key] = (bytes.fromhex(row_hash), int(state))
                    after = last
                del text
                if count < CHUNK_ROWS:
                    break
    finally:
        conn.close()
    if integer_keys:
        return KnownRows.of_arrays(*(_concatenated(part, shape, kind) for part, shape, kind in zip(
            parts, ((0,), (0, 2), (0,)), (np.int64, ">u8", np.int8), strict=True)))
    return KnownRows.of_mapping(rows)


def _concatenated(parts: list[np.ndarray], empty_shape: tuple[int, ...], kind: Any) -> np.ndarray:
    """One array of the parts, which are released as it is built (the peak stays near one copy)."""
    if not parts:
        return np.empty(empty_shape, dtype=kind)
    whole = np.concatenate(parts)
    parts.clear()
    return whole
