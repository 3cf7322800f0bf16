"""The code location loads as Dagster loads it, with the assets, jobs and schedules operators rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import DefaultScheduleStatus

from simulators.stack import start_stack
from tests.conftest import REPO


def test_workspace_validates_with_dagster_cli(tmp_path: Path) -> None:
    stack = start_stack(["acme", "globex"], vendors=("harvest", "forecast", "qbo", "jira"))
    try:
        connections = tmp_path / "connections.yaml"
        connections.write_text(stack.connections_yaml())
        env = {**os.environ, **stack.env_for_connections(), "TIMESYNC_CONNECTIONS": str(connections),
               "DAGSTER_HOME": str(tmp_path)}
        (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        exe = Path(sys.executable).with_name("dagster")
        result = subprocess.run([str(exe), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert "All code locations passed validation" in result.stderr + result.stdout
    finally:
        stack.stop()


def definitions_for(stack, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """The code location as it loads with the stack's companies configured."""
    connections = tmp_path / "connections.yaml"
    connections.write_text(stack.connections_yaml())
    monkeypatch.setenv("TIMESYNC_CONNECTIONS", str(connections))
    for name, value in stack.env_for_connections().items():
        monkeypatch.setenv(name, value)
    from pipelines.definitions import build_definitions

    return build_definitions()


def test_definitions_group_assets_by_source_with_one_pool_per_account_and_stopped_schedules(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stack = start_stack(["acme", "globex"])
    try:
        defs = definitions_for(stack, tmp_path, monkeypatch)
        graph = defs.resolve_asset_graph()
        nodes = [graph.get(k) for k in graph.get_all_asset_keys()]
        groups = {n.group_name for n in nodes}
        assert {"harvest", "forecast", "qbo", "jira", "reconcile"} <= groups
        pools = {pool for n in nodes if n.group_name == "harvest" for pool in n.pools}
        assert pools == {"harvest-acme", "harvest-globex"}
        time_entries = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["acme", "harvest",
                                                                                      "time_entries"]))
        assert time_entries.partitions_def is not None and time_entries.backfill_policy is not None
        schedules = list(defs.schedules or [])
        assert {s.name for s in schedules} >= {"harvest_hourly_incremental", "harvest_nightly_sweep",
                                                "jira_hourly_incremental", "housekeeping_nightly",
                                                "reconcile_hourly", "reconcile_weekly_full"}
        assert all(s.default_status == DefaultScheduleStatus.STOPPED for s in schedules)
        job_names = {j.name for j in defs.jobs or []}
        assert {"harvest_sync", "forecast_sync", "qbo_sync", "jira_sync", "reconcile_job"} <= job_names
    finally:
        stack.stop()


def test_nightly_sweep_relists_the_last_35_days_and_hourly_run_is_incremental(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from dagster import build_schedule_context

    stack = start_stack(["acme"], vendors=("harvest",))
    try:
        defs = definitions_for(stack, tmp_path, monkeypatch)
        when = datetime(2026, 11, 22, 2, 17, tzinfo=UTC)
        context = build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())
        sweep = defs.resolve_schedule_def("harvest_nightly_sweep")
        [request] = sweep.evaluate_tick(context).run_requests
        assert request.tags["dagster/asset_partition_range_end"] == "2026-11-22"
        assert request.tags["dagster/asset_partition_range_start"] == "2026-10-18"
        assert {c["config"]["mode"] for c in request.run_config["ops"].values()} == {"auto"}
        hourly = defs.resolve_schedule_def("harvest_hourly_incremental")
        [request] = hourly.evaluate_tick(context).run_requests
        assert request.partition_key == "2026-11-22"
        assert {c["config"]["mode"] for c in request.run_config["ops"].values()} == {"incremental"}
        assert len(request.run_config["ops"]) == 10  # every harvest stream of the one company
        for name, full in (("reconcile_hourly", False), ("reconcile_weekly_full", True)):
            [request] = defs.resolve_schedule_def(name).evaluate_tick(context).run_requests
            assert [c["config"]["full"] for c in request.run_config["ops"].values()] == [full]  # one company
    finally:
        stack.stop()
