"""Sensors: a failed or crashed run never leaves a `running` row in sync_logs."""

from __future__ import annotations

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from resources.mysql import Database
from resources.sync_log import SyncLogs


@run_failure_sensor(
    name="sync_logs_failure_sensor",
    default_status=DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def sync_logs_failure_sensor(context: RunFailureSensorContext) -> None:
    """Rows a failed run left `running` (a crash, a kill, an OOM) are marked failed."""
    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    db = Database.from_env()
    marked = SyncLogs(db).fail_running_rows_of_run(run.run_id, f"Dagster run {run.run_id} failed: {message}")
    context.log.info(f"marked {marked} sync_logs row(s) of run {run.run_id} as failed")
