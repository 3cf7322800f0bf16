"""The `timesync` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from resources.mysql import Database

Handler = Callable[[argparse.Namespace, list[str]], int]


def cmd_migrate(args: argparse.Namespace, rest: list[str]) -> int:
    from resources.migrations import MigrationError, migrate

    db = Database.from_env()
    try:
        applied = migrate(db)
    except MigrationError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    print(f"migrate: {len(applied)} applied, schema of {db.name} is up to date")
    return 0


def cmd_doctor(args: argparse.Namespace, rest: list[str]) -> int:
    from resources.doctor import run_doctor

    return 0 if run_doctor(Database.from_env()) else 1


def cmd_simulate(args: argparse.Namespace, rest: list[str]) -> int:
    from simulators.stack import main as simulate_main

    return int(simulate_main(rest) or 0)


COMMANDS: dict[str, tuple[str, Handler]] = {
    "migrate": ("apply pending migrations (creates DB_NAME if absent)", cmd_migrate),
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
