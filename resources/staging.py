"""Writing typed vendor records into `staging_<vendor>_<stream>` tables.

Each table is a declaration (`StagingTable`); the writer turns pages of records into TSV batches
loaded with `LOAD DATA LOCAL INFILE … REPLACE` (executemany `REPLACE` where the server refuses
local infile), so re-running a batch or window replaces rows and never duplicates them. Records
that fail typing go to `staging_quarantine` with their reason; the rest of the batch lands.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pymysql

from resources.mysql import Database, is_connection_lost
from resources.sql import load_sql, quote_identifier
from resources.staging_types import BadRecord, Column

# Columns every staging table has besides its declared ones (see the staging migrations).
META_COLUMNS = ("company_id", "raw_json", "source_updated_at", "sync_log_id")
LOCAL_INFILE_REFUSED = {1148, 3948, 2068}
MAX_QUARANTINE_RAW = 60_000


@dataclass(frozen=True)
class StagingTable:
    """A staging table: its key column, typed columns and how deletes are swept."""

    name: str
    system: str
    stream: str
    key: Column
    columns: tuple[Column, ...] = ()
    updated_at: Column | None = None
    # A DATE/DATETIME column whose window a complete re-list covers (e.g. spent_date).
    window_column: str | None = None
    # For spans (Forecast assignments): the start and end columns of an overlap sweep.
    span_columns: tuple[str, str] | None = None

    @property
    def column_names(self) -> list[str]:
        return ["company_id", self.key.name, *(c.name for c in self.columns), "raw_json",
                "source_updated_at", "sync_log_id"]

    def render(self, template: str) -> str:
        cols = self.column_names
        return template.format(
            table=quote_identifier(self.name),
            columns=", ".join(quote_identifier(c) for c in cols),
            placeholders=", ".join(["%s"] * (len(cols) + 1)),
            key=quote_identifier(self.key.name),
            window_column=quote_identifier(self.window_column) if self.window_column else "",
            span_start=quote_identifier(self.span_columns[0]) if self.span_columns else "",
            span_end=quote_identifier(self.span_columns[1]) if self.span_columns else "",
        )


@dataclass
class StagingResult:
    rows_written: int = 0
    quarantined: int = 0
    max_source_updated_at: datetime | None = None
    preview: list[dict[str, Any]] = field(default_factory=list)


def tsv_field(value: Any) -> str:
    kind = value.__class__
    if kind is str:
        text = value
    elif value is None:
        return "\\N"
    elif kind is bool:
        return "1" if value else "0"
    elif kind is datetime:
        return value.isoformat(" ", "microseconds")
    elif kind in (int, Decimal, date):
        return str(value)
    else:
        text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text or "\0" in text:
        text = (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r").replace("\0", "\\0"))
    return text


class StagingWriter:
    """Types records, quarantines the bad ones and loads the rest in batches (memory stays flat)."""

    def __init__(self, db: Database, table: StagingTable, company_id: int, sync_log_id: int,
                 batch_rows: int = 10_000, preview_rows: int = 5) -> None:
        self.db, self.table = db, table
        self.company_id, self.sync_log_id = company_id, sync_log_id
        self.batch_rows, self.preview_rows = batch_rows, preview_rows
        self.result = StagingResult()
        self._rows: list[tuple[Any, ...]] = []
        self._bad: list[tuple[Any, ...]] = []
        self._conn: pymysql.connections.Connection | None = None
        self._local_infile = True

    def __enter__(self) -> StagingWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection is not an error
                pass
            self._conn = None

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._add_one(record)
            if len(self._rows) >= self.batch_rows:
                self.flush()

    def _add_one(self, record: dict[str, Any]) -> None:
        table = self.table
        try:
            if not isinstance(record, dict):
                raise BadRecord(f"record is a {type(record).__name__}, not an object")
            key = table.key.typed(record)
            if key is None:
                raise BadRecord(f"{table.key.name}: required value missing")
            values = [c.typed(record) for c in table.columns]
            updated = table.updated_at.typed(record) if table.updated_at else None
        except BadRecord as exc:
            self._quarantine(record, str(exc))
            return
        raw = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        row_hash = hashlib.md5(raw.encode("utf-8")).hexdigest()
        self._rows.append((self.company_id, key, *values, raw, updated, self.sync_log_id, row_hash))
        if updated is not None and (self.result.max_source_updated_at is None
                                    or updated > self.result.max_source_updated_at):
            self.result.max_source_updated_at = updated
        if len(self.result.preview) < self.preview_rows:
            names = [table.key.name, *(c.name for c in table.columns)]
            self.result.preview.append(dict(zip(names, [key, *values], strict=True)))

    def _quarantine(self, record: Any, reason: str) -> None:
        source_id = record.get(self.table.key.source) if isinstance(record, dict) and isinstance(
            self.table.key.source, str) else None
        try:
            raw = json.dumps(record, ensure_ascii=False, default=str)[:MAX_QUARANTINE_RAW]
        except (TypeError, ValueError):
            raw = repr(record)[:MAX_QUARANTINE_RAW]
        self._bad.append((self.company_id, self.table.system, self.table.stream,
                          None if source_id is None else str(source_id)[:64], reason[:1000], raw, self.sync_log_id))

    def _connection(self) -> pymysql.connections.Connection:
        if self._conn is None:
            self._conn = self.db.connect()
        return self._conn

    def flush(self) -> None:
        rows, bad = self._rows, self._bad
        if not rows and not bad:
            return
        for attempt in (0, 1):
            try:
                self._write(rows, bad)
                break
            except pymysql.err.OperationalError as exc:
                # A batch is idempotent (REPLACE), so after a lost connection it is sent again once.
                if attempt == 1 or not is_connection_lost(exc):
                    raise
                self.close()
        self.result.rows_written += len(rows)
        self.result.quarantined += len(bad)
        self._rows, self._bad = [], []

    def _write(self, rows: list[tuple[Any, ...]], bad: list[tuple[Any, ...]]) -> None:
        conn = self._connection()
        with conn.cursor() as cur:
            if rows:
                if self._local_infile:
                    try:
                        self._load_data(cur, rows)
                    except pymysql.err.OperationalError as exc:
                        if exc.args[0] not in LOCAL_INFILE_REFUSED:
                            raise
                        self._local_infile = False
                if not self._local_infile:
                    cur.executemany(self.table.render(load_sql("staging/replace_staging_rows.sql")),
                                    [(*r[:-1], bytes.fromhex(r[-1])) for r in rows])
            if bad:
                cur.executemany(load_sql("staging/insert_quarantine.sql"), bad)
        conn.commit()

    def _load_data(self, cur: pymysql.cursors.Cursor, rows: list[tuple[Any, ...]]) -> None:
        fd, path = tempfile.mkstemp(prefix=f"{self.table.name}_", suffix=".tsv")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                for row in rows:
                    fh.write("\t".join(tsv_field(v) for v in row))
                    fh.write("\n")
            cur.execute(self.table.render(load_sql("staging/load_staging_rows.sql")), (path,))
        finally:
            os.unlink(path)


def mark_deleted(db: Database, table: StagingTable, company_id: int, ids: list[str]) -> int:
    """Soft-delete the rows of ids the vendor reported deleted (tombstones); returns rows newly marked."""
    sql = table.render(load_sql("staging/mark_deleted.sql"))
    return sum(db.execute(sql, (company_id, tuple(ids[i:i + 1000]))) for i in range(0, len(ids), 1000))


def sweep_deleted(db: Database, table: StagingTable, company_id: int, sync_log_id: int,
                  window: tuple[date, date] | None = None) -> int:
    """After a complete re-list, mark rows of the listed scope that were not seen as deleted.

    `window` limits the scope to a date range of `window_column` (or to spans overlapping it);
    without it the whole company's table is the scope (a dimension snapshot).
    """
    if window is None:
        sql, params = load_sql("staging/sweep_snapshot.sql"), (company_id, sync_log_id)
    elif table.span_columns:
        sql = load_sql("staging/sweep_overlapping_window.sql")
        params = (company_id, window[1], window[0], sync_log_id)
    elif table.window_column:
        sql, params = load_sql("staging/sweep_window.sql"), (company_id, window[0], window[1], sync_log_id)
    else:
        raise ValueError(f"{table.name} declares no window column to sweep by")
    return db.execute(table.render(sql), params)
