"""The history of time and money: a version of every time entry, invoice and payment each time it changes.

Called by the reconcile right after the fact merges, in its one transaction: every row the merges wrote
carries updated_at = the run's now, so the rows to version are exactly those (read through the
(company_id, updated_at) indexes). A row gets a new version only when its business columns differ from its
latest version's (business_hash, computed by the database from the version's own columns, migration 0041);
a run that changed nothing adds nothing, and a stale staged record the merges refused leaves no trace.
A rolled-back reconcile takes its versions with it. The SQL is in staging_sql/history/; the tables are
append-only (triggers), and only `expire_versions` ever deletes from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pymysql

from resources.mysql import Database
from resources.sql import load_sql, quote_identifier, sql_statements
from resources.sync_log import SyncCounts


@dataclass(frozen=True)
class History:
    table: str  # the normalized table (also its sync_logs stream: versions carry that run's sync_log_id)
    versions: str  # its versions table
    entity_column: str  # the versions table's id of the row
    # Files under staging_sql/history/. The generic path (few rows: invoices, payments): `candidates` puts the
    # written rows as versions into a temporary table and drops those equal to their latest version, `append`
    # appends the rest (its first statement) and drops the table. The direct path (time entries, the large
    # table): `created` appends version 1 of the rows this run created, `changed` appends the changed ones, each
    # one INSERT … SELECT.
    candidates: str | None = None
    append: str | None = None
    created: str | None = None
    changed: str | None = None


HISTORIES: tuple[History, ...] = (
    History("time_entries", "time_entry_versions", "time_entry_id", created="time_entries_created.sql",
            changed="time_entries_changed.sql"),
    History("invoices", "invoice_versions", "invoice_id", "invoices_candidates.sql", "invoices_append.sql"),
    History("payments", "payment_versions", "payment_id", "payments_candidates.sql", "payments_append.sql"),
)
HISTORY_TABLES: tuple[str, ...] = tuple(h.table for h in HISTORIES)


def record_history(cur: pymysql.cursors.Cursor, company_id: int, now: datetime, sync_log_ids: dict[str, int],
                   changed: dict[str, SyncCounts], log: Callable[[str], None] = print) -> dict[str, int]:
    """Append the versions of this run's writes; returns how many versions each table gained.

    `changed` is what the run wrote to each table (`changes_now`): a step with nothing to read is skipped
    (an hourly run that only updated rows never scans for created ones, and the reverse)."""
    added: dict[str, int] = {}
    for h in HISTORIES:
        params = {"company_id": company_id, "now": now, "sync_log_id": sync_log_ids[h.table]}
        counts = changed[h.table]
        n = 0
        if h.created is not None and h.changed is not None:
            if counts.inserted > 0:
                n += int(cur.execute(load_sql(f"history/{h.created}"), params))
            if counts.updated + counts.deleted > 0:
                n += int(cur.execute(load_sql(f"history/{h.changed}"), params))
        elif h.candidates is not None and h.append is not None and counts.inserted + counts.updated + counts.deleted:
            for statement in sql_statements(f"history/{h.candidates}"):
                cur.execute(statement, params)
            append, *cleanup = sql_statements(f"history/{h.append}")
            n += int(cur.execute(append, params))
            for statement in cleanup:
                cur.execute(statement, params)
        added[h.table] = n
    log(f"reconcile company {company_id}: history: "
        + ", ".join(f"{n} {h.versions}" for h, n in zip(HISTORIES, added.values(), strict=True)))
    return added


@dataclass
class ExpiryReport:
    before: datetime
    expired: dict[str, int]  # versions table -> versions deleted

    @property
    def total(self) -> int:
        return sum(self.expired.values())


EXPIRE_BATCH_ROWS = 5_000


def expire_versions(db: Database, before: datetime, batch_rows: int = EXPIRE_BATCH_ROWS) -> ExpiryReport:
    """Delete the versions superseded before `before` (their valid_to < before), never a current one.

    The only deletion the versions tables allow: the triggers let a DELETE through only while the session's
    @timesync_expire_versions_before is set, and only for a version a later one replaced before it. Each
    table's expirable keys are collected once, then deleted in short batches (one commit each)."""
    expired: dict[str, int] = {}
    for h in HISTORIES:
        fmt = {"versions": quote_identifier(h.versions), "entity": quote_identifier(h.entity_column)}

        def work(conn: pymysql.connections.Connection, fmt: dict[str, str] = fmt) -> int:
            with conn.cursor() as cur:
                for statement in sql_statements("history/expirable_versions.sql"):
                    cur.execute(statement.format(**fmt), {"before": before})
                cur.execute(load_sql("history/count_expirable.sql"))
                collected = int(cur.fetchone()[0])
                total = 0
                cur.execute(load_sql("history/set_expiry.sql"), {"before": before})
                try:
                    for low in range(0, collected, batch_rows):
                        total += int(cur.execute(load_sql("history/expire_batch.sql").format(**fmt),
                                                 {"low": low, "high": low + batch_rows}))
                        conn.commit()
                finally:
                    cur.execute(load_sql("history/clear_expiry.sql"))
                    cur.execute(load_sql("history/drop_expirable.sql"))
            return total

        expired[h.versions] = db.run(work)
    return ExpiryReport(before=before, expired=expired)
