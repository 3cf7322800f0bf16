from __future__ import annotations

import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    asset,
    build_run_status_sensor_context,
    define_asset_job,
)

from pipelines.sensors import sync_logs_failure_sensor
from resources.mysql import Database
from resources.redact import register_secret
from resources.sync_log import SyncLogs


def row(db: Database, log_id: int) -> dict:
    return db.query("SELECT * FROM sync_logs WHERE id = %s", (log_id,))[0]


def test_tracked_sync_completes_with_counts_and_watermark(migrated_db: Database) -> None:
    from datetime import datetime

    logs = SyncLogs(migrated_db)
    with logs.tracked(company_id=1, system_name="harvest", stream="time_entries", sync_type="incremental",
                      run_id="run-a", partition_key="2026-11-01") as run:
        assert row(migrated_db, run.id)["status"] == "running"
        run.counts.records_processed = 42
        run.counts.inserted = 40
        run.counts.updated = 2
        run.watermark_to = datetime(2026, 11, 1, 12, 0, 0)
    stored = row(migrated_db, run.id)
    assert stored["status"] == "completed"
    assert (stored["records_processed"], stored["inserted_count"], stored["updated_count"]) == (42, 40, 2)
    assert stored["completed_at"] >= stored["started_at"]
    assert logs.last_watermark(1, "harvest", "time_entries") == datetime(2026, 11, 1, 12, 0, 0)


def test_failed_sync_message_has_token_removed(migrated_db: Database) -> None:
    token = "hv-secret-token-9f8e7d6c5b4a"
    register_secret(token)
    logs = SyncLogs(migrated_db)
    with pytest.raises(RuntimeError):
        with logs.tracked(company_id=1, system_name="harvest", stream="users", sync_type="full") as run:
            raise RuntimeError(f"401 from https://x/v2/users with Authorization: Bearer {token} and "
                               f"refresh_token=rt-abcdef123456")
    stored = row(migrated_db, run.id)
    assert stored["status"] == "failed"
    assert token not in stored["error_message"]
    assert "rt-abcdef123456" not in stored["error_message"]
    assert "401 from https://x/v2/users" in stored["error_message"]


def test_crashed_runs_running_row_becomes_failed_via_sensor(migrated_db: Database) -> None:
    started: dict[str, int] = {}

    @asset
    def crashing_stream(context) -> None:  # type: ignore[no-untyped-def]
        # Starts a row and dies without completing it, as a killed process would.
        run = SyncLogs(migrated_db).start(company_id=1, system_name="jira", stream="worklogs",
                                          sync_type="incremental", run_id=context.run.run_id)
        started["id"] = run.id
        raise RuntimeError("worker died")

    job = define_asset_job("crashing_job", selection=[crashing_stream])
    defs = Definitions(assets=[crashing_stream], jobs=[job])
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("crashing_job").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        assert row(migrated_db, started["id"])["status"] == "running"
        failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = build_run_status_sensor_context(
            sensor_name="sync_logs_failure_sensor",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=failure_event,
        ).for_run_failure()
        sync_logs_failure_sensor(context)
    stored = row(migrated_db, started["id"])
    assert stored["status"] == "failed"
    assert result.run_id in stored["error_message"]
