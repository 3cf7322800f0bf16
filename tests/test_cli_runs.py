"""`timesync sync` and `timesync demo` as a user runs them: subprocesses, real Dagster, real MySQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from resources.migrations import migrate
from resources.mysql import Database
from simulators.stack import SimulatorStack, start_stack
from tests.conftest import REPO, database_named, db_env, drop_database, new_database_name, run_cli

# Connections a run opens: the pool's peak concurrency (a step, its staging loaders, a held lock), whatever
# the number of streams. Before connections were pooled, a one-company full sync opened ~330.
CONNECTIONS_PER_RUN = 6


def assert_bounded_connections(stdout: str) -> None:
    found = re.search(r"mysql connections opened: (\d+) \(reused (\d+) times\)", stdout)
    assert found, stdout[-2000:]
    opened, reused = int(found.group(1)), int(found.group(2))
    # The demo's migrate ran first in the same process: the run may open none and reuse what it left.
    assert opened <= CONNECTIONS_PER_RUN, stdout[-2000:]
    assert reused > 10 * max(opened, 1)  # every step, sync log and lock used one of those few


@pytest.fixture
def harvest_stack() -> Iterator[SimulatorStack]:
    stack = start_stack(["acme"], vendors=("harvest",), rate_limit_scale=0.05)
    yield stack
    stack.stop()


def sync_env(stack: SimulatorStack, db: Database, tmp_path: Path, **overrides: str) -> dict[str, str]:
    connections = tmp_path / "connections.yaml"
    connections.write_text(stack.connections_yaml())
    env = db_env(db) | stack.env_for_connections() | {
        "TIMESYNC_CONNECTIONS": str(connections), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "TIMESYNC_PARTITION_START": "2025-01-01",
    }
    return env | overrides


def test_sync_command_runs_a_window_through_dagster_and_prints_a_summary(
        harvest_stack: SimulatorStack, migrated_db: Database, tmp_path: Path) -> None:
    anchor = harvest_stack.world("acme").anchor
    start, end = anchor - timedelta(days=30), anchor
    result = run_cli(["sync", "--source", "harvest", "--from", start.isoformat(), "--to", end.isoformat()],
                     sync_env(harvest_stack, migrated_db, tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "succeeded" in result.stdout and "time_entries" in result.stdout
    assert "harvest/acme/time_entries (window)" in result.stderr  # progress, as it goes
    assert_bounded_connections(result.stdout)
    run_id = result.stdout.split("run ", 1)[1].split(":", 1)[0]
    rows = migrated_db.query("SELECT stream, status, sync_type, window_start, window_end FROM sync_logs "
                             "WHERE run_id = %s AND system_name = 'harvest'", (run_id,))
    by_stream = {r["stream"]: r for r in rows}
    assert len(by_stream) == 10 and all(r["status"] == "completed" for r in rows)
    entries = by_stream["time_entries"]
    assert (entries["sync_type"], entries["window_start"].date(), entries["window_end"].date()) == (
        "window", start, end)
    merged = {r["stream"]: r["status"] for r in migrated_db.query(
        "SELECT stream, status FROM sync_logs WHERE run_id = %s AND system_name = 'timesync'", (run_id,))}
    assert merged.get("time_entries") == "completed"  # the same run reconciled what it staged


def test_sync_full_reconcile_makes_every_fact_merge_read_every_staged_row(
        harvest_stack: SimulatorStack, empty_db: Database, tmp_path: Path) -> None:
    migrate(empty_db, log=lambda _line: None)  # a database of its own: the company has no watermark yet
    env = sync_env(harvest_stack, empty_db, tmp_path)
    modes: list[dict[str, str]] = []
    for flags in ([], [], ["--full-reconcile"]):
        result = run_cli(["sync", "--source", "harvest", "--incremental", *flags], env, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        run_id = result.stdout.split("run ", 1)[1].split(":", 1)[0]
        modes.append({r["merge_name"]: r["last_mode"] for r in empty_db.query(
            "SELECT w.merge_name, w.last_mode FROM merge_watermarks w JOIN sync_logs s ON s.id = w.sync_log_id "
            "WHERE s.run_id = %s", (run_id,))})
    first, second, forced = modes
    assert first and set(first.values()) == {"full"}  # no watermark yet
    # Without the flag the Harvest entries merge reads only what was staged since (the worklog merge, which
    # pairs with those entries, may still read everything: the running timer's entry is re-staged).
    assert second.keys() == first.keys() and second["merge_time_entries_harvest"] == "incremental"
    assert forced.keys() == first.keys() and set(forced.values()) == {"full"}


def test_sync_with_revoked_token_exits_nonzero_and_tries_each_endpoint_once(
        harvest_stack: SimulatorStack, migrated_db: Database, tmp_path: Path) -> None:
    env = sync_env(harvest_stack, migrated_db, tmp_path)
    env = env | {name: "revoked-token-123" for name in env if name.endswith("HARVEST_ACCESS_TOKEN")}
    harvest_stack.servers["harvest"].clear_requests()
    result = run_cli(["sync", "--source", "harvest", "--incremental", "--no-reconcile"], env, timeout=600)
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    assert "revoked-token-123" not in result.stdout + result.stderr
    requests = harvest_stack.servers["harvest"].requests()
    assert requests and all(r["status"] == 401 for r in requests)
    paths = [r["path"] for r in requests]
    assert len(paths) == len(set(paths)) == 10  # one attempt per stream: a 401 is never retried


def test_demo_prints_what_landed_and_fills_the_normalized_tables(tmp_path: Path) -> None:
    name = new_database_name("ts_demo")
    env = {"DB_NAME": name, "DB_HOST": "127.0.0.1", "DB_PORT": "3306", "DB_USER": "root", "DB_PASSWORD": "",
           "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    try:
        result = run_cli(["demo", "--companies", "acme"], env, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        for heading in ("What landed, per source", "Reconciliation", "Top projects by hours this month",
                        "Utilization by person", "Billable hours not yet invoiced"):
            assert heading in result.stdout
        assert "(not available" not in result.stdout
        # Four sources' streams and the reconcile in one run: as few connections as one source's ten streams.
        assert_bounded_connections(result.stdout)
        db = database_named(name)
        for table in ("team_members", "clients", "projects", "time_entries", "project_assignments"):
            assert db.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] > 0, table
        assert db.query("SELECT COUNT(*) AS n FROM sync_logs WHERE status <> 'completed'")[0]["n"] == 0
        # Running the demo again (new simulators, same database) works and changes nothing.
        again = run_cli(["demo", "--companies", "acme"], env, timeout=900)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert db.query("SELECT COUNT(*) AS n FROM sync_logs WHERE status <> 'completed'")[0]["n"] == 0
        merged = {r["stream"]: (r["inserted_count"], r["updated_count"]) for r in db.query(
            "SELECT stream, inserted_count, updated_count FROM sync_logs WHERE system_name = 'timesync' AND "
            "run_id = (SELECT run_id FROM sync_logs ORDER BY id DESC LIMIT 1)")}
        # Only the world's running timer changes between the runs: its hours grow while it runs.
        assert merged.pop("time_entries") in ((0, 0), (0, 1))
        assert merged and set(merged.values()) == {(0, 0)}
    finally:
        drop_database(name)


def test_a_killed_sync_leaves_no_running_row_once_its_streams_run_again(
        harvest_stack: SimulatorStack, empty_db: Database, tmp_path: Path) -> None:
    """SIGKILL of `timesync sync` (no daemon, so no run-failure sensor): the next run of each stream finds the
    row the dead process left open and closes it as failed, abandoned."""
    migrate(empty_db, log=lambda _line: None)
    env = sync_env(harvest_stack, empty_db, tmp_path)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "SSH_", "USE_SSH"))} | env
    exe = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "timesync"
    killed = subprocess.Popen([str(exe), "sync", "--source", "harvest", "--incremental"], env=full_env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        open_rows: list[dict] = []
        while not open_rows and time.monotonic() < deadline and killed.poll() is None:
            open_rows = empty_db.query("SELECT id, run_id FROM sync_logs WHERE status = 'running'")
            time.sleep(0.02)
        assert open_rows, "the sync ended before a stream was seen running"
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
    left_open = {int(r["id"]) for r in empty_db.query(
        "SELECT id FROM sync_logs WHERE status IN ('pending', 'running')")}
    assert left_open  # what the kill left behind, before anything else ran
    result = run_cli(["sync", "--source", "harvest", "--incremental"], env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert empty_db.query("SELECT COUNT(*) AS n FROM sync_logs WHERE status IN ('pending', 'running')")[0]["n"] == 0
    closed = empty_db.query("SELECT id, status, error_message FROM sync_logs WHERE id IN %s", (tuple(left_open),))
    assert {r["status"] for r in closed} == {"failed"}
    assert all(r["error_message"].startswith("abandoned: the process ended") for r in closed)
