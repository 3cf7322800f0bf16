"""`timesync sync`: run a selection of the assets through Dagster, without the UI."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import AssetKey, AssetSelection, DagsterInstance, define_asset_job

from pipelines.jobs import RECONCILE_GROUP, SOURCES
from resources.mysql import Database, connection_counts
from resources.sql import load_sql

REPO = Path(__file__).resolve().parent.parent
CLI_JOB = "timesync_cli_sync"


@dataclass
class SyncReport:
    success: bool
    run_id: str
    rows: list[dict]
    connections_opened: int = 0  # MySQL connections this run opened (reused ones not counted again)
    connections_reused: int = 0


def quiet_planned_events() -> None:
    """One planned event per asset for a range run, not one per partition (thousands of writes)."""
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")


def cli_instance() -> DagsterInstance:
    """The instance the UI also reads: $DAGSTER_HOME, or ./.dagster_home beside the project."""
    if not os.environ.get("DAGSTER_HOME"):
        home = REPO / ".dagster_home"
        home.mkdir(exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # A local instance (SQLite under DAGSTER_HOME); production uses dagster.yaml (MySQL storage).
        config.write_text("telemetry:\n  enabled: false\n")
    return DagsterInstance.get()


def run_sync(sources: list[str], date_from: date | None = None, date_to: date | None = None,
             incremental: bool = False, reconcile: bool = True, full_reconcile: bool = False,
             instance: DagsterInstance | None = None) -> SyncReport:
    from pipelines.definitions import build_definitions

    quiet_planned_events()
    base = build_definitions()
    graph = base.resolve_asset_graph()
    stream_keys: list[AssetKey] = []
    stream_ops: list[str] = []
    partitioned = False
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        source = node.tags.get("timesync/source")
        if source in sources:
            stream_keys.append(key)
            partitioned = partitioned or node.partitions_def is not None
    reconcile_keys = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == RECONCILE_GROUP]
    if not stream_keys:
        raise SystemExit(f"sync: no assets configured for {', '.join(sources)} (check the vendor settings)")
    keys = stream_keys + (reconcile_keys if reconcile else [])
    partitions = base.resolve_assets_def(stream_keys[0]).partitions_def or _any_partitions(base, stream_keys)
    job = define_asset_job(CLI_JOB, selection=AssetSelection.assets(*keys))
    defs = build_definitions(extra_jobs=[job])
    for key in stream_keys:
        stream_ops.append(defs.resolve_assets_def(key).node_def.name)

    mode = "incremental" if incremental else ("window" if date_from else "auto")
    tags: dict[str, str] = {"timesync/trigger": "cli", "timesync/mode": mode}
    partition_key = None
    if date_from and date_to and partitioned:
        tags["dagster/asset_partition_range_start"] = date_from.isoformat()
        tags["dagster/asset_partition_range_end"] = date_to.isoformat()
    elif partitioned and partitions is not None:
        partition_key = partitions.get_last_partition_key()
    reconcile_ops = [defs.resolve_assets_def(key).node_def.name for key in reconcile_keys] if reconcile else []
    run_config = {
        "ops": {**{op: {"config": {"mode": mode}} for op in stream_ops},
                **{op: {"config": {"full": full_reconcile}} for op in reconcile_ops}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    opened_before, reused_before = connection_counts()
    result = defs.resolve_job_def(CLI_JOB).execute_in_process(
        instance=instance or cli_instance(), tags=tags, run_config=run_config,
        partition_key=partition_key, raise_on_error=False,
    )
    opened, reused = connection_counts()
    db = Database.from_env()
    rows = db.query(load_sql("reports/sync_summary_for_run.sql"), (result.run_id,))
    db.close_idle_connections()
    return SyncReport(result.success, result.run_id, rows, opened - opened_before, reused - reused_before)


def _any_partitions(defs, keys):  # type: ignore[no-untyped-def]
    for key in keys:
        p = defs.resolve_assets_def(key).partitions_def
        if p is not None:
            return p
    return None


def print_summary(report: SyncReport, out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    print(f"\nrun {report.run_id}: {'succeeded' if report.success else 'FAILED'}", file=out)
    if not report.rows:
        print("(no sync_logs rows)", file=out)
        return
    frame = pd.DataFrame(report.rows)
    print(frame.to_string(index=False), file=out)
    print(f"mysql connections opened: {report.connections_opened} (reused {report.connections_reused} times)",
          file=out)


def cmd_sync(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="timesync sync", description="Run a selection of the sync through Dagster.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every configured source")
    which.add_argument("--source", choices=SOURCES, action="append", help="one source (repeatable)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--incremental", action="store_true", help="changes since the last watermark (default)")
    when.add_argument("--from", dest="date_from", type=date.fromisoformat, help="window start (re-list + sweep)")
    parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="window end, inclusive")
    then = parser.add_mutually_exclusive_group()
    then.add_argument("--no-reconcile", action="store_true", help="stop after staging")
    then.add_argument("--full-reconcile", action="store_true",
                      help="every fact merge reads every staged row, not only what was staged since its watermark")
    opts = parser.parse_args(rest)
    if bool(opts.date_from) != bool(opts.date_to):
        parser.error("--from and --to go together")
    sources = list(SOURCES) if opts.all else opts.source
    incremental = opts.incremental or not opts.date_from
    report = run_sync(sources, opts.date_from, opts.date_to, incremental=incremental,
                      reconcile=not opts.no_reconcile, full_reconcile=opts.full_reconcile)
    print_summary(report)
    return 0 if report.success else 1
