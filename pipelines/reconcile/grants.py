"""`timesync grant-analyst` / `revoke-analyst`: logins that read only their companies, only through the
analyst schema `<DB_NAME>_analyst` (resources/analyst_schema.py)."""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pymysql

from resources.analyst_schema import analyst_schema_name, refresh_analyst_schema
from resources.mysql import Database
from resources.sql import load_sql, quote_identifier

# Names and keys never become SQL text (they are bound as parameters); these rules keep them to what an
# account name and a company key look like, so a typo fails loudly instead of creating an odd account.
USER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")  # MySQL 8 caps user names at 32 characters
HOST_NAME = re.compile(r"^[A-Za-z0-9%_.:-]{1,255}$")
COMPANY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UNKNOWN_THREAD = 1094  # KILL of a session that ended by itself meanwhile


T = TypeVar("T")


class GrantError(ValueError):
    pass


@dataclass(frozen=True)
class AnalystGrant:
    user: str
    host: str
    schema: str
    companies: tuple[str, ...]  # company keys readable now
    all_companies: bool


def validate_user(user: str, host: str) -> None:
    if not USER_NAME.match(user):
        raise GrantError(f"analyst name {user!r}: a letter, then letters, digits or _ (at most 32)")
    if not HOST_NAME.match(host):
        raise GrantError(f"host {host!r}: letters, digits and . : - _ %% only")


def parse_company_keys(text: str) -> tuple[str, ...]:
    keys = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    if not keys:
        raise GrantError("--company needs at least one company key")
    bad = [k for k in keys if not COMPANY_KEY.match(k)]
    if bad:
        raise GrantError(f"not a company key: {', '.join(repr(k) for k in bad)}")
    return keys


def grant_analyst(db: Database, user: str, password: str, companies: tuple[str, ...] | None,
                  host: str = "%") -> AnalystGrant:
    """Create or reset `user`@`host`: SELECT on the analyst schema, reading `companies` (keys) or, with None,
    every company including those added later. A re-grant replaces the set of companies."""
    validate_user(user, host)
    refresh_analyst_schema(db)
    schema = analyst_schema_name(db.name)

    def work(conn: pymysql.connections.Connection) -> tuple[str, ...]:
        params = {"user": user, "all_companies": int(companies is None)}
        with conn.cursor() as cur:
            if companies is not None:
                cur.execute(load_sql("grants/select_companies_by_key.sql"), {"keys": companies})
                found = {str(key): int(cid) for cid, key, _name in cur.fetchall()}
                missing = [k for k in companies if k not in found]
                if missing:
                    raise GrantError(f"no such company: {', '.join(missing)} (run a sync of it first)")
                params["company_ids"] = tuple(found.values())
            # The mapping first, in one transaction: the login reads exactly the new set from its next query.
            cur.execute(load_sql("grants/upsert_analyst_login.sql"), params)
            cur.execute(load_sql("grants/delete_analyst_companies.sql"), params)
            if companies is None:
                cur.execute(load_sql("grants/insert_analyst_all_companies.sql"), params)
            else:
                cur.execute(load_sql("grants/insert_analyst_companies.sql"), params)
        conn.commit()
        with conn.cursor() as cur:
            cur.execute(load_sql("grants/create_analyst_user.sql"), (user, host, password))
            cur.execute(load_sql("grants/set_analyst_password.sql"), (user, host, password))
            cur.execute(load_sql("grants/revoke_analyst_privileges.sql"), (user, host))
            cur.execute(load_sql("grants/grant_analyst_select.sql").format(analyst=quote_identifier(schema)),
                        (user, host))
        conn.commit()
        return tuple(companies) if companies is not None else ()

    keys = db.run(work)
    return AnalystGrant(user, host, schema, keys, companies is None)


def revoke_analyst(db: Database, user: str, host: str = "%") -> int:
    """Remove the login: its companies first (open sessions read nothing from their next query), then the
    account, then its open sessions. Returns how many sessions were ended."""
    validate_user(user, host)

    def work(conn: pymysql.connections.Connection) -> int:
        with conn.cursor() as cur:
            cur.execute(load_sql("grants/delete_analyst_login.sql"), {"user": user})
            conn.commit()
            cur.execute(load_sql("grants/drop_analyst_user.sql"), (user, host))
            cur.execute(load_sql("grants/sessions_of_user.sql"), (user,))
            sessions = [int(row[0]) for row in cur.fetchall()]
            for session in sessions:
                try:
                    cur.execute(load_sql("grants/kill_session.sql"), (session,))
                except pymysql.MySQLError as exc:
                    if exc.args[0] != UNKNOWN_THREAD:
                        raise
        conn.commit()
        return len(sessions)

    return db.run(work)


def refused_as(command: str, action: Callable[[], T]) -> T | None:
    """`action()`, or None after printing why it was refused (a bad name or key, or the server's message)."""
    try:
        return action()
    except GrantError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
    except pymysql.MySQLError as exc:
        print(f"{command}: {exc.args[-1]}", file=sys.stderr)
    return None


def cmd_grant_analyst(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="timesync grant-analyst",
        description="Create or change a read-only login that reads the analyst schema, filtered to its companies.")
    parser.add_argument("user")
    parser.add_argument("--password", help="default: a generated one, printed once")
    parser.add_argument("--host", default="%", help="the host part of the account (default: %%)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--company", help="comma-separated company keys the login reads (replaces the set)")
    which.add_argument("--all-companies", action="store_true",
                       help="every company, including companies added later")
    opts = parser.parse_args(rest)
    password = opts.password or secrets.token_urlsafe(18)

    def grant() -> AnalystGrant:
        companies = None if opts.all_companies else parse_company_keys(opts.company)
        return grant_analyst(Database.from_env(), opts.user, password, companies, opts.host)

    grant = refused_as("grant-analyst", grant)
    if grant is None:
        return 2
    scope = "every company (and companies added later)" if grant.all_companies else ", ".join(grant.companies)
    print(f"grant-analyst: {grant.user}@{grant.host} reads {grant.schema}, rows of {scope}")
    if not opts.password:
        print(f"password: {password}")
    return 0


def cmd_revoke_analyst(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="timesync revoke-analyst",
                                     description="Remove an analyst login and end its open sessions.")
    parser.add_argument("user")
    parser.add_argument("--host", default="%", help="the host part of the account (default: %%)")
    opts = parser.parse_args(rest)
    ended = refused_as("revoke-analyst", lambda: revoke_analyst(Database.from_env(), opts.user, opts.host))
    if ended is None:
        return 2
    print(f"revoke-analyst: {opts.user}@{opts.host} removed; {ended} open session(s) ended")
    return 0
