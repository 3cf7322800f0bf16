"""The `timesync` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from resources.mysql import Database

Handler = Callable[[argparse.Namespace, list[str]], int]


def migrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="timesync migrate", description=(
        "Bring DB_NAME's schema to the latest migration (default) or to --to VERSION, up or down."))
    parser.add_argument("--to", metavar="VERSION", help="migrate up or down to this migration number (0: empty schema)")
    parser.add_argument("--status", action="store_true",
                        help="list every migration (applied or pending, checksums, applied at) and change nothing")
    parser.add_argument("--allow-data-loss", action="store_true",
                        help="let a down drop tables with rows and columns with values")
    return parser


def cmd_migrate(args: argparse.Namespace, rest: list[str]) -> int:
    from resources.migrations import MigrationError, format_status, migrate, migration_status

    options = migrate_parser().parse_args(rest)
    db = Database.from_env()
    try:
        if options.status:
            rows = migration_status(db)
            print("\n".join(format_status(rows)))
            # An edited applied migration blocks every migrate run: say so in the exit status too.
            return 1 if any(r.edited for r in rows) else 0
        ran = migrate(db, to=options.to, allow_data_loss=options.allow_data_loss)
    except MigrationError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    applied = sum(1 for name in ran if not name.endswith(".down.sql"))
    reverted = len(ran) - applied
    if options.to is None:
        print(f"migrate: {applied} applied, schema of {db.name} is up to date")
    else:
        print(f"migrate: {applied} applied, {reverted} reverted, schema of {db.name} is at {int(options.to):04d}")
    return 0


def cmd_doctor(args: argparse.Namespace, rest: list[str]) -> int:
    from resources.doctor import run_doctor

    return 0 if run_doctor(Database.from_env()) else 1


def cmd_simulate(args: argparse.Namespace, rest: list[str]) -> int:
    from simulators.stack import main as simulate_main

    return int(simulate_main(rest) or 0)


COMMANDS: dict[str, tuple[str, Handler]] = {
    "migrate": ("apply pending migrations (creates DB_NAME if absent); --to VERSION, --status, --allow-data-loss",
                cmd_migrate),
    "doctor": ("check MySQL, the tunnel, the schema and vendor credentials", cmd_doctor),
    "simulate": ("start the vendor simulators and print the variables that point at them", cmd_simulate),
}


def register(name: str, help_text: str, handler: Handler) -> None:
    COMMANDS[name] = (help_text, handler)


def main(argv: list[str] | None = None) -> int:
    from pipelines import commands  # noqa: F401 - registers the commands defined elsewhere

    parser = argparse.ArgumentParser(prog="timesync", description="Sync vendor systems into MySQL.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    _, handler = COMMANDS[args.command]
    return handler(args, rest)


if __name__ == "__main__":
    raise SystemExit(main())
