"""Commands registered beyond migrate/doctor/simulate."""

from __future__ import annotations

from pipelines.cli import register
from pipelines.demo_command import cmd_demo
from pipelines.maintenance import cmd_maintain
from pipelines.reconcile.grants import cmd_grant_analyst
from pipelines.sync_command import cmd_sync

register("sync", "run a selection of the sync through Dagster (--all | --source S; --from/--to | --incremental)",
         cmd_sync)
register("demo", "start the simulators, sync everything into local MySQL and print what landed", cmd_demo)
register("maintain", "housekeeping: expired staging/quarantine rows, archive old sync_logs, analyze tables",
         cmd_maintain)
register("grant-analyst", "create a read-only MySQL user for the normalized tables, views and sync_logs",
         cmd_grant_analyst)
