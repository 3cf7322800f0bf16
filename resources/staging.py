"""Writing typed vendor records into `staging_<vendor>_<stream>` tables.

Each table is a declaration (`StagingTable`); the writer turns pages of records into TSV batches
loaded with `LOAD DATA LOCAL INFILE … REPLACE` (executemany `REPLACE` where the server refuses
local infile), so re-running a batch or window replaces rows and never duplicates them. Records
that fail typing go to `staging_quarantine` with their reason; the rest of the batch lands.
Given the rows a complete listing's scope already holds (`KnownRows`), records whose row hash is
unchanged are skipped, and `sweep_unseen` marks deleted the live rows the listing did not return.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pymysql

from resources.faults import fault_point
from resources.gc_pause import paused_gc
from resources.mysql import (
    LOCK_CONFLICT_ATTEMPTS,
    Database,
    is_connection_lost,
    is_lock_conflict,
    lock_conflict_pause,
)
from resources.sql import load_sql, quote_identifier
from resources.staging_known import KnownRows
from resources.staging_types import (
    TEXT_KINDS,
    BadRecord,
    Column,
    FastPathMiss,
    compile_fast_path,
    compile_typer,
)

# Columns every staging table has besides its declared ones (see the staging migrations).
META_COLUMNS = ("company_id", "raw_json", "source_updated_at", "sync_log_id")
# 1148 and 3948: MySQL; 4166: MariaDB 10.5+ ("disabled the local infile capability"); 2068: client side.
LOCAL_INFILE_REFUSED = {1148, 3948, 4166, 2068}
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
    # An index covering (company_id, key, row_hash, staged_at, deleted_at), on tables that grow large.
    known_index: str | None = None
    # The known index also holds window_column, so windowed listings read their known rows through it.
    window_in_known_index: bool = False

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
    unchanged: int = 0  # already staged with the same row hash (only with KnownRows): not written
    # LOAD DATA LOCAL turns what the server cannot store as sent (a value out of a column's range, a bad date)
    # into warnings and stores something else: the first few, for the staging check that a batch landed verbatim.
    load_warnings: list[str] = field(default_factory=list)
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
        text = _escape(text)
    return text


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\0", "\\0"))


def raw_json(record: dict[str, Any]) -> tuple[bytes, bytes]:
    """The record as compact key-sorted JSON (UTF-8), and the 16-byte md5 `row_hash` of it.

    orjson gives the same bytes as `json.dumps(…, ensure_ascii=False, separators=(",", ":"),
    sort_keys=True)` for vendor data, except that floats below 1e-4 are written without an
    exponent and NaN as null; values orjson refuses (integers beyond 64 bits, lone surrogates)
    take the json module.
    """
    try:
        data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        data = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return data, hashlib.md5(data).digest()


# isprintable() is False for TAB, LF, CR and NUL (and for other rare characters, escaped correctly anyway).
_TEXT = "({v} if {v}.isprintable() and '\\\\' not in {v} else escape({v}))"
_FORMAT_OF_KIND = {
    "int": "str({v})", "decimal": "str({v})", "date": "{v}.isoformat()", "datetime": "str({v})",
    "bool": "('1' if {v} else '0')", "str": _TEXT, "text": _TEXT, "json": _TEXT,
    # Serialised JSON escapes every control character, so only backslashes need escaping.
    "raw_json": "({v} if '\\\\' not in {v} else escape({v}))",
}


def _tsv_text(value: str, kind: str) -> str:
    """The expression formatting the value named `value` (of `kind`, or None) as one TSV field."""
    return f"('\\\\N' if {value} is None else {_FORMAT_OF_KIND[kind].format(v=value)})"


def _compile_tsv_line(kinds: list[str]) -> Callable[[tuple[Any, ...]], str]:
    """A function formatting one staging row (values of `kinds`) as a TSV line for LOAD DATA."""
    names = [f"v{k}" for k in range(len(kinds))]
    fields = [_tsv_text(v, kind) for v, kind in zip(names, kinds, strict=True)]
    source = (f"def line(row):\n    {', '.join(names)}, = row\n"
              f"    return '\\t'.join(({', '.join(fields)},))\n")
    env: dict[str, Any] = {"escape": _escape}
    exec(compile(source, "<tsv line>", "exec"), env)  # noqa: S102
    return env["line"]


RowLine = Callable[[dict[str, Any], str, str, str, str], tuple[Any, Any, str]]


def _compile_row_line(columns: tuple[Column, ...]) -> RowLine:
    """`line(record, company_id, raw_json, sync_log_id, row_hash)` → (key, updated_at, TSV line): typing and
    formatting in one function, with no typed tuple in between (a fifth of staging's time per record).

    `columns` are the key, the columns and updated_at, as the typer's; the texts are given formatted.
    Raises `FastPathMiss` (or any error) where the typer and `_compile_tsv_line` must decide instead.
    """
    n = len(columns)
    text_columns = frozenset(range(1, n))  # the key stays a value: the batch's keys are values

    def text(k: int, kind: str) -> str:
        """Column k's TSV field, formatted as `kind` unless the fast path left its text."""
        return f"t{k}" if k in text_columns and columns[k].kind in TEXT_KINDS else _tsv_text(f"c{k}", kind)

    fields = ["company", *(text(k, column.kind) for k, column in enumerate(columns[:-1])),
              _FORMAT_OF_KIND["raw_json"].format(v="raw"), text(n - 1, "datetime"), "sync", "digest"]
    return compile_fast_path(columns, "r, company, raw, sync, digest",
                             f"c0, c{n - 1}, '\\t'.join(({', '.join(fields)},))", {"escape": _escape}, text_columns)


class StagingWriter:
    """Types records, quarantines the bad ones and loads the rest in batches (memory stays flat).

    Full batches are loaded by background loaders (each with its own connection) while the next
    ones are typed; a batch sharing a key with one still loading waits for it, so the later version
    of a record always lands last. `flush()` (and leaving the `with` block) waits until everything
    added so far is in MySQL.
    """

    def __init__(self, db: Database, table: StagingTable, company_id: int, sync_log_id: int,
                 batch_rows: int = 10_000, preview_rows: int = 5, known: KnownRows | None = None) -> None:
        self.db, self.table, self.known = db, table, known
        self.company_id, self.sync_log_id = company_id, sync_log_id
        self.batch_rows, self.preview_rows = batch_rows, preview_rows
        self.result = StagingResult()
        self._rows: list[str] = []  # TSV lines, formatted here so the loader thread only sends them
        self._bad: list[tuple[Any, ...]] = []
        self._batch_keys: set[Any] = set()
        self._connect: Callable[[], pymysql.connections.Connection] = db.connect
        self._local_infile = True
        self._typer, self._row_line = _compile(table)
        self._company_text, self._sync_log_text = str(company_id), str(sync_log_id)
        self._key_typer = compile_typer((table.key,))
        kinds = ["int", table.key.kind, *(c.kind for c in table.columns), "raw_json", "datetime", "int", "str"]
        self._tsv_line = _compile_tsv_line(kinds)
        self._names = [table.key.name, *(c.name for c in table.columns)]
        # Two loaders: while one LOAD DATA runs on the server, the other can, on the second core.
        self._loaders = [_Loader(self, n) for n in range(LOADERS)]
        self._next_loader = 0
        self._counts_lock = threading.Lock()

    def __enter__(self) -> StagingWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
                self.flush()
            else:
                self._wait()
        finally:
            self.close()

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        with paused_gc():
            self._add(records)

    def _add(self, records: Iterable[dict[str, Any]]) -> None:
        if self.known is None or not len(self.known):  # nothing staged in the scope: nothing to skip or sweep
            for record in records:
                self._stage(record, None)
            return
        # Skipping needs each record's key and row hash first; a page is decided in one lookup.
        page = records if isinstance(records, list) else list(records)
        heads: list[tuple[bytes, bytes] | None] = []
        keys, digests = [], []
        key_typer = self._key_typer
        for record in page:
            head = None
            if isinstance(record, dict):
                try:
                    key = key_typer(record)[0]
                except BadRecord:
                    key = None
                if key is not None:
                    head = raw_json(record)
                    keys.append(key)
                    digests.append(head[1])
            heads.append(head)
        unchanged = iter(self.known.unchanged(keys, digests))
        for record, head in zip(page, heads, strict=True):
            if head is not None and next(unchanged):
                self.result.unchanged += 1
            else:
                self._stage(record, head)

    def _stage(self, record: Any, head: tuple[bytes, bytes] | None) -> None:
        """Type one record into the next batch, or quarantine it."""
        result = self.result
        try:
            head = head or raw_json(record)
            key, updated, line = self._row_line(record, self._company_text, head[0].decode("utf-8"),
                                                self._sync_log_text, head[1].hex())
            if key is None:
                raise FastPathMiss
        except Exception:  # noqa: BLE001 - the generic path types or quarantines, exactly as it decides
            staged = self._generic_line(record, head)
            if staged is None:
                self._flush_if_full()
                return
            key, updated, line = staged
        self._rows.append(line)
        self._batch_keys.add(key)
        newest = result.max_source_updated_at
        if updated is not None and (newest is None or updated > newest):
            result.max_source_updated_at = updated
        if len(result.preview) < self.preview_rows:
            result.preview.append(dict(zip(self._names, self._typer(record)[:-1], strict=True)))
        self._flush_if_full()

    def _generic_line(self, record: Any, head: tuple[bytes, bytes] | None) -> tuple[Any, Any, str] | None:
        """(key, updated_at, TSV line) through the typer, or None when the record is quarantined."""
        try:
            if not isinstance(record, dict):
                raise BadRecord(f"record is a {type(record).__name__}, not an object")
            typed = self._typer(record)
            if typed[0] is None:
                raise BadRecord(f"{self.table.key.name}: required value missing")
        except BadRecord as exc:
            self._quarantine(record, str(exc))
            return None
        data, digest = head or raw_json(record)
        updated = typed[-1]
        line = self._tsv_line((self.company_id, *typed[:-1], data.decode("utf-8"), updated, self.sync_log_id,
                               digest.hex()))
        return typed[0], updated, line

    def _flush_if_full(self) -> None:
        if len(self._rows) >= self.batch_rows:
            self._flush_in_background()

    def _quarantine(self, record: Any, reason: str) -> None:
        source_id = record.get(self.table.key.source) if isinstance(record, dict) and isinstance(
            self.table.key.source, str) else None
        try:
            raw = json.dumps(record, ensure_ascii=False, default=str)[:MAX_QUARANTINE_RAW]
        except (TypeError, ValueError):
            raw = repr(record)[:MAX_QUARANTINE_RAW]
        self._bad.append((self.company_id, self.table.system, self.table.stream,
                          None if source_id is None else str(source_id)[:64], reason[:1000], raw, self.sync_log_id))

    def close(self) -> None:
        self._wait(raise_error=False)
        for loader in self._loaders:
            loader.close_connection()

    def flush(self) -> None:
        """Load everything added so far and wait for it."""
        self._flush_in_background()
        self._wait()

    def _flush_in_background(self) -> None:
        rows, bad, keys = self._rows, self._bad, self._batch_keys
        if not rows and not bad:
            return
        self._rows, self._bad, self._batch_keys = [], [], set()
        loader = self._loaders[self._next_loader]
        self._next_loader = (self._next_loader + 1) % len(self._loaders)
        for other in self._loaders:
            if other is loader or not keys.isdisjoint(other.keys):
                other.join()
        self._raise_loader_error()
        loader.start(rows, bad, keys)

    def _wait(self, raise_error: bool = True) -> None:
        for loader in self._loaders:
            loader.join()
        if raise_error:
            self._raise_loader_error()
        else:
            for loader in self._loaders:
                loader.error = None

    def _raise_loader_error(self) -> None:
        for loader in self._loaders:
            error, loader.error = loader.error, None
            if error is not None:
                raise error

    def _counted(self, rows: int, bad: int) -> None:
        with self._counts_lock:
            self.result.rows_written += rows
            self.result.quarantined += bad

    def _warned(self, warnings: list[str]) -> None:
        with self._counts_lock:
            self.result.load_warnings.extend(warnings[:MAX_LOAD_WARNINGS - len(self.result.load_warnings)])

LOADERS = 2
MAX_LOAD_WARNINGS = 5


class _Loader:
    """One background thread and connection loading a writer's batches, one batch at a time."""

    def __init__(self, writer: StagingWriter, number: int) -> None:
        self.writer, self.number = writer, number
        self.keys: set[Any] = set()
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._conn: pymysql.connections.Connection | None = None

    def start(self, rows: list[str], bad: list[tuple[Any, ...]], keys: set[Any]) -> None:
        self.keys = keys
        self._thread = threading.Thread(target=self._load, args=(rows, bad), daemon=True,
                                        name=f"load-{self.writer.table.name}-{self.number}")
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.keys = set()

    def connection(self) -> pymysql.connections.Connection:
        if self._conn is None:
            self._conn = self.writer._connect()
        return self._conn

    def close_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection is not an error
                pass
            self._conn = None

    def _rollback(self) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()
            except pymysql.MySQLError:
                self.close_connection()

    def _load(self, rows: list[str], bad: list[tuple[Any, ...]]) -> None:
        try:
            reconnected, conflicts = False, 0
            while True:
                try:
                    self._write(rows, bad)
                    break
                except pymysql.err.OperationalError as exc:
                    # A batch is idempotent (REPLACE): after a lost connection it is sent again once,
                    # after a deadlock with another company's run a few times.
                    if is_connection_lost(exc) and not reconnected:
                        reconnected = True
                        self.close_connection()
                    elif is_lock_conflict(exc) and conflicts < LOCK_CONFLICT_ATTEMPTS - 1:
                        self._rollback()
                        lock_conflict_pause(conflicts)
                        conflicts += 1
                    else:
                        raise
            self.writer._counted(len(rows), len(bad))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by the writer
            self.error = exc

    def _write(self, rows: list[str], bad: list[tuple[Any, ...]]) -> None:
        conn = self.connection()
        with conn.cursor() as cur:
            if rows:
                if self.writer._local_infile:
                    try:
                        self._load_data(cur, rows)
                    except pymysql.err.OperationalError as exc:
                        if exc.args[0] not in LOCAL_INFILE_REFUSED:
                            raise
                        self.writer._local_infile = False
                if not self.writer._local_infile:
                    cur.executemany(self.writer.table.render(load_sql("staging/replace_staging_rows.sql")),
                                    [tsv_values(line) for line in rows])
            if bad:
                cur.executemany(load_sql("staging/insert_quarantine.sql"), bad)
        conn.commit()

    def _load_data(self, cur: pymysql.cursors.Cursor, rows: list[str]) -> None:
        fd, path = tempfile.mkstemp(prefix=f"{self.writer.table.name}_", suffix=".tsv")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                for start in range(0, len(rows), 1000):  # in slices: the whole batch as one string doubles the peak
                    fh.write("".join([line + "\n" for line in rows[start:start + 1000]]))
            fault_point("load_data")  # test-only: a kill here (or with a delay, while the batch is sent)
            cur.execute(self.writer.table.render(load_sql("staging/load_staging_rows.sql")), (path,))
            if cur.warning_count:
                cur.execute(load_sql("staging/load_warnings.sql"), (MAX_LOAD_WARNINGS,))
                self.writer._warned([f"{level} {code}: {message}" for level, code, message in cur.fetchall()])
        finally:
            os.unlink(path)



_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPED = {"t": "\t", "n": "\n", "r": "\r", "0": "\0"}


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPED.get(match.group(1), match.group(1))


def tsv_values(line: str) -> tuple[Any, ...]:
    """A staging TSV line back as statement parameters (the path for servers refusing LOCAL INFILE).

    Values stay text, which the server converts to each column's type; the last field, the hex row
    hash, becomes its 16 bytes.
    """
    fields: list[Any] = [None if text == "\\N" else _ESCAPED.sub(_unescape, text) for text in line.split("\t")]
    fields[-1] = bytes.fromhex(fields[-1])
    return tuple(fields)


_compiled: dict[int, tuple[StagingTable, Callable[[dict[str, Any]], tuple[Any, ...]], RowLine]] = {}
_compiled_lock = threading.Lock()


def _compile(table: StagingTable) -> tuple[Callable[[dict[str, Any]], tuple[Any, ...]], RowLine]:
    """The typer of (key, columns…, updated_at) and its fused row line, made once per table declaration."""
    with _compiled_lock:
        cached = _compiled.get(id(table))
        if cached is None or cached[0] is not table:
            columns = (table.key, *table.columns, table.updated_at or Column("_none", "json", _nothing))
            cached = _compiled[id(table)] = (table, compile_typer(columns), _compile_row_line(columns))
        return cached[1], cached[2]


def _nothing(_record: dict[str, Any]) -> None:
    return None


def mark_deleted(db: Database, table: StagingTable, company_id: int, sync_log_id: int, ids: list[Any]) -> int:
    """Soft-delete live rows of these ids (vendor tombstones, or a sweep); returns rows newly marked."""
    sql = table.render(load_sql("staging/mark_deleted.sql"))
    return sum(db.execute(sql, (sync_log_id, company_id, tuple(ids[i:i + 1000]))) for i in range(0, len(ids), 1000))


def sweep_unseen(db: Database, table: StagingTable, company_id: int, sync_log_id: int, known: KnownRows) -> int:
    """After a complete listing of a scope, mark deleted its live rows that no page returned."""
    return mark_deleted(db, table, company_id, sync_log_id, known.unseen())
