"""Commands registered beyond migrate/doctor/simulate."""

from __future__ import annotations

from pipelines.cli import register
from pipelines.demo_command import cmd_demo
from pipelines.maintenance import cmd_maintain
from pipelines.reconcile.grants import cmd_grant_analyst, cmd_revoke_analyst
from pipelines.sync_command import cmd_sync

register("sync", "run a selection of the sync through Dagster (--all | --source S; --from/--to | --incremental)",
         cmd_sync)
register("demo", "start the simulators, sync everything into local MySQL and print what landed", cmd_demo)
register("maintain", "housekeeping: expired staging/quarantine rows, archive old sync_logs, analyze tables",
         cmd_maintain)
register("grant-analyst", "create or change a read-only login that reads only its companies (--company K,… | "
         "--all-companies)", cmd_grant_analyst)
register("revoke-analyst", "remove an analyst login and end its open sessions", cmd_revoke_analyst)
