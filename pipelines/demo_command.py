"""`timesync demo`: simulators + a full sync into local MySQL + what landed, in one command."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from resources.migrations import migrate
from resources.mysql import Database
from resources.redact import register_secret
from resources.sql import load_sql

REPO = Path(__file__).resolve().parent.parent
ANALYST_QUESTIONS = (
    ("Top projects by hours this month (duplicates counted once)", "reports/demo_top_projects_this_month.sql"),
    ("Utilization by person, last 4 complete weeks", "reports/demo_utilization_by_person.sql"),
    ("Billable hours not yet invoiced, by client", "reports/demo_unbilled_hours.sql"),
)


def _print_table(rows: list[dict], empty: str = "(none)") -> None:
    import pandas as pd

    print(pd.DataFrame(rows).to_string(index=False) if rows else empty)


def print_landed(db: Database, run_id: str) -> None:
    print("\n== What landed, per source ==")
    _print_table(db.query(load_sql("reports/demo_landed_by_source.sql"), (run_id,)))
    print("\n== Reconciliation ==")
    _print_table(db.query(load_sql("reports/demo_reconcile_by_entity.sql"), (run_id,)),
                 "(reconciliation did not run)")
    for title, sql in ANALYST_QUESTIONS:
        print(f"\n== {title} ==")
        try:
            _print_table(db.query(load_sql(sql)))
        except Exception as exc:  # noqa: BLE001 - a missing view should not hide the rest of the summary
            print(f"(not available: {type(exc).__name__}: {exc})")


def configure_environment(stack, db_name: str, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    connections = workdir / "connections.yaml"
    connections.write_text(stack.connections_yaml())
    os.environ["TIMESYNC_CONNECTIONS"] = str(connections)
    for name, value in stack.env_for_connections().items():
        os.environ[name] = value
        register_secret(value)
    os.environ.setdefault("DB_NAME", db_name)
    os.environ.setdefault("DAGSTER_HOME", str(REPO / ".dagster_home"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)


def demo_window(anchor: date) -> tuple[date, date]:
    """The windows the demo world has data in: about 13 months back to the partition for today."""
    start = (anchor.replace(day=1) - timedelta(days=365)).replace(day=1)
    return start, anchor


def cmd_demo(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="timesync demo", description="Simulators + full sync + summary.")
    parser.add_argument("--companies", default="acme,globex", help="comma-separated company keys (1 or more)")
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-name", default="timesync_demo", help="used when DB_NAME is not set")
    parser.add_argument("--ui", action="store_true", help="keep the simulators up and start the Dagster UI")
    parser.add_argument("--port", type=int, default=3000, help="Dagster UI port (with --ui)")
    opts = parser.parse_args(rest)

    from simulators.stack import start_stack

    companies = [c.strip() for c in opts.companies.split(",") if c.strip()]
    started = time.monotonic()
    stack = start_stack(companies, opts.scale, opts.seed)
    try:
        anchor = stack.world(companies[0]).anchor
        window = demo_window(anchor)
        os.environ.setdefault("TIMESYNC_PARTITION_START", window[0].isoformat())
        configure_environment(stack, opts.db_name, Path(tempfile.mkdtemp(prefix="timesync-demo-")))
        print(f"demo: simulators for {', '.join(companies)} ({opts.scale}) at "
              + ", ".join(f"{v} {stack.url(v)}" for v in stack.servers))
        db = Database.from_env()
        applied = migrate(db, log=lambda line: print(f"demo: {line}"))
        print(f"demo: database {db.name} ready ({len(applied)} migrations applied)")
        # These simulators are a new QuickBooks that knows only its seed token; a token an earlier demo's
        # simulator rotated into this database would be refused as invalid_grant.
        for company in companies:
            db.execute(load_sql("oauth/forget_token.sql"), ("qbo", stack.world(company).qbo_realm_id))

        from pipelines.sync_command import run_sync

        print(f"demo: syncing every source for {window[0]} .. {window[1]} in one Dagster run, then reconciling")
        report = run_sync(["harvest", "forecast", "qbo", "jira"], window[0], window[1], reconcile=True)
        print(f"demo: Dagster run {report.run_id} {'succeeded' if report.success else 'FAILED'}; "
              f"mysql connections opened: {report.connections_opened} (reused {report.connections_reused} times)")
        print_landed(db, report.run_id)
        print(f"\ndemo: done in {time.monotonic() - started:.0f}s — database {db.name}, "
              f"Dagster home {os.environ['DAGSTER_HOME']}")
        if opts.ui:
            return serve_ui(opts.port)
        return 0 if report.success else 1
    finally:
        stack.stop()


def serve_ui(port: int) -> int:
    exe = Path(sys.executable).with_name("dagster-webserver")
    cmd = [str(exe), "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]
    print(f"demo: Dagster UI at http://127.0.0.1:{port} (simulators stay up; Ctrl-C to stop)")
    proc = subprocess.Popen(cmd, cwd=REPO, env=os.environ.copy())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=30)
        return 0
