"""Housekeeping: expired staging and quarantine rows, archived sync_logs, fresh table statistics.

Deletes go in small batches (short locks); nothing runs while a sync is open, and nothing a
view reads (normalized tables) is deleted. The history of time and money (the *_versions tables) is
never expired by housekeeping: only `timesync maintain --expire-versions-before DATE` deletes versions,
and only those superseded before that date.
"""


import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dagster import DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op

from pipelines.reconcile.history import ExpiryReport, expire_versions
from resources.config import staging_retention_days
from resources.mysql import Database
from resources.sql import load_sql, quote_identifier

BATCH_ROWS = 5_000


@dataclass(frozen=True)
class RetentionSettings:
    staging_days: int = 14
    quarantine_days: int = 30
    sync_logs_days: int = 90

    @classmethod
    def from_env(cls) -> "RetentionSettings":
        return cls(
            staging_days=staging_retention_days(),
            quarantine_days=int(os.environ.get("TIMESYNC_QUARANTINE_RETENTION_DAYS", "30")),
            sync_logs_days=int(os.environ.get("TIMESYNC_SYNC_LOGS_RETENTION_DAYS", "90")),
        )


@dataclass
class MaintenanceReport:
    staging_rows_deleted: dict[str, int] = field(default_factory=dict)
    quarantine_rows_deleted: int = 0
    sync_logs_archived: int = 0
    tables_analyzed: int = 0
    skipped_reason: str | None = None


def _delete_in_batches(db: Database, sql: str, cutoff: datetime) -> int:
    total = 0
    while True:
        deleted = db.execute(sql, (cutoff, BATCH_ROWS))
        total += deleted
        if deleted < BATCH_ROWS:
            return total


def _archive_sync_logs(db: Database, cutoff: datetime) -> int:
    archived = 0
    while True:
        ids = [r["id"] for r in db.query(load_sql("maintenance/select_archivable_sync_logs.sql"), (cutoff, BATCH_ROWS))]
        if not ids:
            return archived

        def work(conn, low=ids[0], high=ids[-1]):  # type: ignore[no-untyped-def]
            with conn.cursor() as cur:
                cur.execute(load_sql("maintenance/copy_sync_logs_to_archive.sql"), (low, high, cutoff))
                cur.execute(load_sql("maintenance/delete_archived_sync_logs.sql"), (low, high))
                moved = cur.rowcount
            conn.commit()
            return moved

        archived += db.run(work)
        if len(ids) < BATCH_ROWS:
            return archived


def run_maintenance(db: Database, settings: RetentionSettings, now: datetime | None = None) -> MaintenanceReport:
    now = now or datetime.utcnow()
    report = MaintenanceReport()
    open_runs = db.query(load_sql("maintenance/count_open_runs.sql"))[0]["open_runs"]
    if open_runs:
        report.skipped_reason = f"{open_runs} sync(s) running; staging left as is"
    else:
        cutoff = now - timedelta(days=settings.staging_days)
        template = load_sql("maintenance/delete_expired_staging_rows.sql")
        for row in db.query(load_sql("maintenance/list_staging_tables.sql")):
            name = row["name"]
            report.staging_rows_deleted[name] = _delete_in_batches(
                db, template.format(table=quote_identifier(name)), cutoff)
    report.quarantine_rows_deleted = _delete_in_batches(
        db, load_sql("maintenance/delete_expired_quarantine.sql"), now - timedelta(days=settings.quarantine_days))
    report.sync_logs_archived = _archive_sync_logs(db, now - timedelta(days=settings.sync_logs_days))
    for row in db.query(load_sql("maintenance/list_tables_to_analyze.sql")):
        db.query(f"ANALYZE TABLE {quote_identifier(row['name'])}")
        report.tables_analyzed += 1
    return report


def print_report(report: MaintenanceReport) -> None:
    if report.skipped_reason:
        print(f"maintain: staging skipped: {report.skipped_reason}")
    for table, n in report.staging_rows_deleted.items():
        if n:
            print(f"maintain: {table}: {n} expired staging rows removed")
    print(f"maintain: {sum(report.staging_rows_deleted.values())} staging rows, "
          f"{report.quarantine_rows_deleted} quarantined records removed; "
          f"{report.sync_logs_archived} sync_logs rows archived; {report.tables_analyzed} tables analyzed")


def print_expiry(report: ExpiryReport | None) -> None:
    if report is None:
        print("maintain: history kept: no version expired (only --expire-versions-before DATE expires versions)")
        return
    detail = ", ".join(f"{table} {n}" for table, n in report.expired.items())
    print(f"maintain: expired {report.total} history versions superseded before {report.before:%Y-%m-%d %H:%M:%S} "
          f"UTC ({detail}); current versions and those in effect at that moment are kept")


def expiry_moment(text: str) -> datetime:
    """--expire-versions-before: YYYY-MM-DD (midnight UTC) or an ISO date and time (UTC)."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_maintain(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="timesync maintain", description="Housekeeping (safe to run any time).")
    parser.add_argument("--staging-days", type=int)
    parser.add_argument("--quarantine-days", type=int)
    parser.add_argument("--sync-logs-days", type=int)
    parser.add_argument("--expire-versions-before", type=expiry_moment, metavar="YYYY-MM-DD",
                        help="delete history versions superseded before this date (UTC); never a current "
                             "version. Without it no version is ever expired")
    opts = parser.parse_args(rest)
    base = RetentionSettings.from_env()
    if opts.staging_days is not None and opts.staging_days < base.staging_days:
        # Listings rewrite an unchanged staged row only every half-retention of the configured value.
        print(f"maintain: --staging-days {opts.staging_days} is below TIMESYNC_STAGING_RETENTION_DAYS "
              f"({base.staging_days}); lower the variable instead, so syncs refresh rows in time", file=sys.stderr)
        return 2
    settings = RetentionSettings(
        staging_days=opts.staging_days or base.staging_days,
        quarantine_days=opts.quarantine_days or base.quarantine_days,
        sync_logs_days=opts.sync_logs_days or base.sync_logs_days,
    )
    db = Database.from_env()
    print_report(run_maintenance(db, settings))
    print_expiry(expire_versions(db, opts.expire_versions_before) if opts.expire_versions_before else None)
    return 0


@op(required_resource_keys={"mysql"})
def housekeeping(context: OpExecutionContext) -> None:
    report = run_maintenance(context.resources.mysql.get_database(), RetentionSettings.from_env())
    context.log.info(f"housekeeping: {report}")


@job(tags={"timesync/source": "maintenance"}, description="Retention, sync_logs archive and table statistics.")
def housekeeping_job() -> None:
    housekeeping()


housekeeping_schedule = ScheduleDefinition(
    name="housekeeping_nightly", job=housekeeping_job, cron_schedule="43 3 * * *",
    default_status=DefaultScheduleStatus.STOPPED,
)
