from __future__ import annotations

from datetime import datetime, timedelta

from pipelines.maintenance import RetentionSettings, run_maintenance
from resources.mysql import Database
from tests.conftest import db_env, run_cli

NOW = datetime(2026, 11, 22, 12, 0, 0)


def _seed(db: Database) -> None:
    db.execute("CREATE TABLE staging_test_things (company_id INT UNSIGNED NOT NULL, id BIGINT NOT NULL, "
               "staged_at DATETIME(6) NOT NULL, PRIMARY KEY (company_id, id))")
    old, recent = NOW - timedelta(days=20), NOW - timedelta(days=2)
    db.execute("INSERT INTO staging_test_things VALUES " + ",".join(
        f"(1, {i}, '{(old if i <= 12_000 else recent).isoformat(sep=' ')}')" for i in range(1, 12_011)))
    db.execute("INSERT INTO staging_quarantine (company_id, system_name, stream, reason, created_at) VALUES "
               "(1,'harvest','time_entries','bad', %s), (1,'harvest','time_entries','bad', %s)",
               (NOW - timedelta(days=40), NOW - timedelta(days=1)))
    db.execute("INSERT INTO sync_logs (company_id, system_name, stream, sync_type, status, started_at, created_at) "
               "VALUES (1,'harvest','users','full','completed',%s,%s), (1,'harvest','users','full','failed',%s,%s),"
               " (1,'harvest','users','full','completed',%s,%s)",
               (NOW - timedelta(days=100),) * 2 + (NOW - timedelta(days=95),) * 2 + (NOW - timedelta(days=3),) * 2)


def test_maintenance_removes_expired_rows_in_batches_and_archives_old_sync_logs(fresh_db: Database) -> None:
    _seed(fresh_db)
    report = run_maintenance(fresh_db, RetentionSettings(staging_days=14, quarantine_days=30, sync_logs_days=90),
                             now=NOW)
    assert report.staging_rows_deleted["staging_test_things"] == 12_000
    assert fresh_db.query("SELECT COUNT(*) AS n FROM staging_test_things")[0]["n"] == 10
    assert report.quarantine_rows_deleted == 1
    assert report.sync_logs_archived == 2
    assert fresh_db.query("SELECT COUNT(*) AS n FROM sync_logs")[0]["n"] == 1
    assert fresh_db.query("SELECT COUNT(*) AS n FROM sync_logs_archive")[0]["n"] == 2
    assert report.tables_analyzed > 5


def test_maintenance_leaves_staging_alone_while_a_sync_is_running(fresh_db: Database) -> None:
    _seed(fresh_db)
    fresh_db.execute("INSERT INTO sync_logs (company_id, system_name, stream, sync_type, status, started_at) "
                     "VALUES (1, 'jira', 'worklogs', 'incremental', 'running', UTC_TIMESTAMP(6))")
    report = run_maintenance(fresh_db, RetentionSettings(), now=NOW)
    assert report.skipped_reason and "running" in report.skipped_reason
    assert fresh_db.query("SELECT COUNT(*) AS n FROM staging_test_things")[0]["n"] == 12_010


def test_maintain_command_reports_what_it_did(fresh_db: Database) -> None:
    result = run_cli(["maintain"], db_env(fresh_db))
    assert result.returncode == 0, result.stderr
    assert "sync_logs rows archived" in result.stdout
