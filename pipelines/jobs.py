"""Jobs per source and their schedules.

Schedules ship STOPPED; turn them on in the UI (Automation → Schedules) or with
`dagster schedule start <name>`. Incremental syncs run hourly; window sweeps (which catch
hard deletes by re-listing recent windows) and full dimension snapshots run nightly. Reconciliation runs
hourly after the syncs (fact merges read only what was staged since their watermark) and reads every
staged row once a week, so that nothing a watermark could miss outlives a week.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from dagster import (
    AssetsDefinition,
    AssetSelection,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SOURCES = ("harvest", "forecast", "qbo", "jira")
RECONCILE_GROUP = "reconcile"
SWEEP_DAYS = 35


def _cron(default: str) -> str:
    # Lets the operations tests see a daemon tick within a minute instead of an hour.
    return os.environ.get("TIMESYNC_SCHEDULE_CRON_OVERRIDE") or default


def _last_partition_key(partitions: DailyPartitionsDefinition, now: datetime | None) -> str:
    # get_last_partition_key() takes no time in Dagster 1.13; the schedule's own time must decide.
    return partitions.get_partition_keys(current_time=now)[-1]


def source_selection(source: str) -> AssetSelection:
    return AssetSelection.groups(source)


def source_jobs() -> list[UnresolvedAssetJobDefinition]:
    jobs = [
        define_asset_job(
            f"{source}_sync", selection=source_selection(source),
            tags={"timesync/source": source}, description=f"Sync every {source} stream of every company.",
        )
        for source in SOURCES
    ]
    jobs.append(define_asset_job(
        "reconcile_job", selection=AssetSelection.groups(RECONCILE_GROUP),
        tags={"timesync/source": "reconcile"}, description="Identity resolution, conflicts and merges.",
    ))
    jobs.append(define_asset_job(
        "full_sync", selection=AssetSelection.all(),
        description="Every source, then reconciliation.",
    ))
    return jobs


def stream_ops(assets: list[AssetsDefinition], source: str) -> list[str]:
    return [a.node_def.name for a in assets if _source_of(a) == source]


def _source_of(a: AssetsDefinition) -> str | None:
    for key in a.keys:
        source = a.tags_by_key.get(key, {}).get("timesync/source")
        if source:
            return source
    return None


def build_schedules(assets: list[AssetsDefinition], partitions: DailyPartitionsDefinition,
                    jobs: list[UnresolvedAssetJobDefinition],
                    reconcile_assets: list[AssetsDefinition]) -> list[ScheduleDefinition]:
    by_name = {j.name: j for j in jobs}
    schedules: list[ScheduleDefinition] = []
    for source in SOURCES:
        ops = stream_ops(assets, source)
        if not ops:
            continue
        schedules.append(_hourly_incremental(source, ops, by_name[f"{source}_sync"], partitions))
        schedules.append(_nightly_sweep(source, ops, by_name[f"{source}_sync"], partitions))
    if reconcile_assets:
        ops = [a.node_def.name for a in reconcile_assets]
        schedules.append(_reconcile_schedule("reconcile_hourly", "37 * * * *", ops, by_name["reconcile_job"],
                                             full=False))
        schedules.append(_reconcile_schedule("reconcile_weekly_full", "47 3 * * 0", ops, by_name["reconcile_job"],
                                             full=True))
    return schedules


def _reconcile_schedule(name: str, cron: str, ops: list[str], job: UnresolvedAssetJobDefinition,
                        full: bool) -> ScheduleDefinition:
    what = "every fact merge reads every staged row" if full else "fact merges read what was staged since"
    return ScheduleDefinition(
        name=name, job=job, cron_schedule=_cron(cron), default_status=DefaultScheduleStatus.STOPPED,
        run_config={"ops": {op: {"config": {"full": full}} for op in ops}},
        tags={"timesync/source": "reconcile", "timesync/mode": "full" if full else "incremental"},
        description=f"Reconcile every company into the normalized tables; {what}.",
    )


def _hourly_incremental(source: str, ops: list[str], job: UnresolvedAssetJobDefinition,
                        partitions: DailyPartitionsDefinition) -> ScheduleDefinition:
    @schedule(name=f"{source}_hourly_incremental", job=job, cron_schedule=_cron("7 * * * *"),
              default_status=DefaultScheduleStatus.STOPPED,
              description=f"{source}: changes since the last watermark (minus the overlap), every hour.")
    def _incremental(context: ScheduleEvaluationContext) -> RunRequest:
        # Partitioned assets need a key even in incremental mode; today's is used as a label.
        key = _last_partition_key(partitions, context.scheduled_execution_time)
        return RunRequest(
            run_key=None, partition_key=key,
            run_config={"ops": {op: {"config": {"mode": "incremental"}} for op in ops}},
            tags={"timesync/source": source, "timesync/mode": "incremental"},
        )

    return _incremental


def _nightly_sweep(source: str, ops: list[str], job: UnresolvedAssetJobDefinition,
                   partitions: DailyPartitionsDefinition) -> ScheduleDefinition:
    @schedule(name=f"{source}_nightly_sweep", job=job, cron_schedule=_cron("17 2 * * *"),
              default_status=DefaultScheduleStatus.STOPPED,
              description=f"{source}: re-list the last {SWEEP_DAYS} days (deletes) and every dimension in full.")
    def _sweep(context: ScheduleEvaluationContext) -> RunRequest:
        now = context.scheduled_execution_time or datetime.now()
        end = _last_partition_key(partitions, now)
        start = max(partitions.start.strftime("%Y-%m-%d"),
                    (datetime.strptime(end, "%Y-%m-%d") - timedelta(days=SWEEP_DAYS)).strftime("%Y-%m-%d"))
        return RunRequest(
            run_key=None,
            run_config={"ops": {op: {"config": {"mode": "auto"}} for op in ops}},
            tags={"timesync/source": source, "timesync/mode": "sweep",
                  "dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
        )

    return _sweep
