"""`timesync grant-analyst USER`: a read-only MySQL user for the analyst contract and nothing else."""

from __future__ import annotations

import argparse
import secrets
import sys

import pymysql

from resources.mysql import Database
from resources.sql import load_sql, quote_identifier

ANALYST_TABLES = (
    "companies", "clients", "projects", "service_lines", "team_members", "roles", "team_member_roles",
    "project_assignments", "time_entries", "jira_issues", "invoices", "invoice_lines", "payments", "source_links",
    "identity_overrides", "sync_conflicts", "sync_logs",
    "v_time_entries", "v_project_hours_monthly", "v_weekly_plan", "v_weekly_utilization", "v_project_budget_burn",
    "v_uninvoiced_billable_time",
)


def grant_analyst(db: Database, user: str, password: str, host: str = "%") -> None:
    """Create (or reset) `user`@`host` with SELECT on ANALYST_TABLES only, in one go."""
    database = quote_identifier(db.name)

    def work(conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(load_sql("grants/create_analyst_user.sql"), (user, host, password))
            cur.execute(load_sql("grants/set_analyst_password.sql"), (user, host, password))
            cur.execute(load_sql("grants/revoke_analyst_privileges.sql"), (user, host))
            template = load_sql("grants/grant_analyst_select.sql")
            for table in ANALYST_TABLES:
                cur.execute(template.format(database=database, table=quote_identifier(table)), (user, host))
        conn.commit()

    db.run(work)


def cmd_grant_analyst(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="timesync grant-analyst",
                                     description="Create a read-only MySQL user for analysts.")
    parser.add_argument("user")
    parser.add_argument("--password", help="default: a generated one, printed once")
    parser.add_argument("--host", default="%", help="the host part of the account (default: %%)")
    opts = parser.parse_args(rest)
    password = opts.password or secrets.token_urlsafe(18)
    db = Database.from_env()
    try:
        grant_analyst(db, opts.user, password, opts.host)
    except pymysql.MySQLError as exc:
        print(f"grant-analyst: {exc.args[-1]}", file=sys.stderr)
        return 2
    print(f"grant-analyst: {opts.user}@{opts.host} can SELECT {len(ANALYST_TABLES)} tables and views of {db.name}")
    if not opts.password:
        print(f"password: {password}")
    return 0
