"""The run log: one `sync_logs` row per connection × stream × run.

A row is written `running` when work starts and becomes `completed` with its counts or
`failed` with a redacted message. It is written on its own autocommit connection, so the
status survives a rollback of the work it describes. A run starts while holding its stream's named lock,
so starting one also closes, as failed, any row of that stream an ended process left open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime

from resources.mysql import Database
from resources.redact import redact
from resources.sql import load_sql

MAX_ERROR_CHARS = 4000
ABANDONED = "abandoned: the process ended without closing the run (found open when run {run} of the stream started)"


@dataclass
class SyncCounts:
    records_processed: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: int = 0
    quarantined: int = 0
    requests: int = 0
    throttled: int = 0

    def add(self, other: SyncCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class SyncRun:
    """A started sync_logs row and the counts the work fills in."""

    id: int
    company_id: int | None
    system_name: str
    stream: str
    counts: SyncCounts = field(default_factory=SyncCounts)
    watermark_to: datetime | None = None
    abandoned: int = 0  # rows of the same stream found open (left by ended processes) and marked failed
    # What the staging checks compare with the database, counted apart from the writer's own counters:
    listed: int = 0  # records the listing's pages returned, counted as the pages arrived
    load_warnings: list[str] = field(default_factory=list)  # what the server said while loading the batch


class SyncLogs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(
        self,
        *,
        company_id: int | None,
        system_name: str,
        stream: str,
        sync_type: str,
        run_id: str | None = None,
        partition_key: str | None = None,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        watermark_from: datetime | None = None,
    ) -> SyncRun:
        """A new `running` row. The caller holds the stream's named lock (run_stream, reconcile_company)."""

        def work(conn):  # type: ignore[no-untyped-def]
            with conn.cursor() as cur:
                abandoned = cur.execute(load_sql("sync_logs/fail_abandoned_rows.sql"), {
                    "reason": ABANDONED.format(run=run_id or "(no Dagster run)"), "company_id": company_id,
                    "system_name": system_name, "stream": stream})
                cur.execute(
                    load_sql("sync_logs/start_sync_log.sql"),
                    (company_id, system_name, stream, sync_type, run_id, partition_key,
                     window_start, window_end, watermark_from),
                )
                new_id = cur.lastrowid
            conn.commit()
            return new_id, abandoned

        new_id, abandoned = self.db.run(work)
        return SyncRun(id=new_id, company_id=company_id, system_name=system_name, stream=stream,
                       abandoned=abandoned)

    def complete(self, run: SyncRun) -> None:
        c = run.counts
        self.db.execute(
            load_sql("sync_logs/complete_sync_log.sql"),
            (c.records_processed, c.inserted, c.updated, c.deleted, c.unchanged, c.conflicts,
             c.quarantined, c.requests, c.throttled, run.watermark_to, run.id),
        )

    def fail(self, run: SyncRun, error: BaseException | str) -> None:
        c = run.counts
        self.db.execute(
            load_sql("sync_logs/fail_sync_log.sql"),
            (c.records_processed, c.inserted, c.updated, c.deleted, c.unchanged, c.conflicts,
             c.quarantined, c.requests, c.throttled, error_text(error), run.id),
        )

    def last_watermark(self, company_id: int, system_name: str, stream: str) -> datetime | None:
        rows = self.db.query(load_sql("sync_logs/last_watermark.sql"), (company_id, system_name, stream))
        return rows[0]["watermark_to"] if rows else None

    def fail_running_rows_of_run(self, run_id: str, reason: str) -> int:
        """Mark rows a crashed run left `running` as failed; returns how many."""
        return self.db.execute(load_sql("sync_logs/fail_running_rows_of_run.sql"), (error_text(reason), run_id))

    @contextmanager
    def tracked(self, **start_kwargs: object) -> Iterator[SyncRun]:
        """`with sync_logs.tracked(...) as run:` — completed on exit, failed (and re-raised) on error."""
        run = self.start(**start_kwargs)  # type: ignore[arg-type]
        try:
            yield run
        except BaseException as exc:
            self.fail(run, exc)
            raise
        self.complete(run)


def error_text(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        text = f"{type(error).__name__}: {error}"
    else:
        text = error
    return redact(text)[:MAX_ERROR_CHARS]
