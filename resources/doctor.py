"""`timesync doctor`: one line per check, a verdict and a hint, no secret."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pymysql

from resources.config import CompanyConnections, load_companies
from resources.migrations import MigrationError, pending_migrations
from resources.mysql import ACCESS_DENIED_CODES, Database, DatabaseUnavailable
from resources.redact import redact


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    hint: str = ""

    def line(self) -> str:
        verdict = "OK  " if self.ok else "FAIL"
        text = f"[{verdict}] {self.name}: {self.detail}"
        if not self.ok and self.hint:
            text += f" — hint: {self.hint}"
        return redact(text)


# Vendor client modules register a credentials check here: (system name, check(company) -> detail).
# A check raises on failure; its message must already be free of secrets (it is redacted again).
VendorCheck = Callable[[CompanyConnections], str | None]
VENDOR_CHECKS: list[tuple[str, VendorCheck]] = []


def check_mysql(db: Database) -> CheckResult:
    name = "mysql"
    try:
        rows = db.run(lambda conn: _version(conn), with_database=False)
        return CheckResult(name, True, f"reachable at {db.describe()} ({rows})")
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else None
        if code in ACCESS_DENIED_CODES:
            return CheckResult(name, False, f"access denied for {db.describe()}",
                               "check DB_USER / DB_PASSWORD (the password is not shown)")
        return CheckResult(name, False, f"cannot connect to {db.describe()}: {exc.args[-1]}",
                           "is MySQL up and DB_HOST/DB_PORT right? (scripts/ensure_services.sh starts one)")
    except DatabaseUnavailable as exc:
        return CheckResult(name, False, str(exc), "check DB_HOST/DB_PORT and the tunnel")
    except Exception as exc:  # noqa: BLE001 - tunnel failures (host key, auth, refused) land here
        hint = "check SSH_HOST/SSH_PORT/SSH_USER/SSH_PRIVATE_KEY_PATH and SSH_KNOWN_HOSTS"
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}", hint)


def _version(conn: pymysql.connections.Connection) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return str(cur.fetchone()[0])


def check_schema(db: Database) -> CheckResult:
    name = "schema"
    try:
        pending = pending_migrations(db)
    except MigrationError as exc:
        return CheckResult(name, False, str(exc), "restore the applied migration file or add a new migration")
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] == 1049:
            return CheckResult(name, False, f"database {db.name} does not exist", "run `timesync migrate`")
        return CheckResult(name, False, f"cannot read schema: {exc.args[-1]}", "fix the mysql check first")
    except Exception as exc:  # noqa: BLE001
        return CheckResult(name, False, f"cannot read schema: {type(exc).__name__}", "fix the mysql check first")
    if pending:
        names = ", ".join(m.path.name for m in pending)
        return CheckResult(name, False, f"{len(pending)} migration(s) pending: {names}", "run `timesync migrate`")
    return CheckResult(name, True, f"up to date ({db.name})")


def check_vendors(companies: list[CompanyConnections]) -> Iterator[CheckResult]:
    import resources.vendor_checks  # noqa: F401 - registers the vendor checks

    for company in companies:
        for system, check in VENDOR_CHECKS:
            if getattr(company, system, None) is None:
                continue
            name = f"{system} [{company.key}]"
            try:
                detail = check(company) or "credentials accepted"
                yield CheckResult(name, True, detail)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal here
                yield CheckResult(name, False, f"{type(exc).__name__}: {exc}",
                                  f"check the {system.upper()}_* settings for company {company.key}")


def run_doctor(db: Database, print_line: Callable[[str], None] = print) -> bool:
    results = [check_mysql(db)]
    if results[0].ok:
        results.append(check_schema(db))
    else:
        results.append(CheckResult("schema", False, "skipped: MySQL unreachable", "fix the mysql check first"))
    try:
        companies = load_companies()
    except Exception as exc:  # noqa: BLE001
        results.append(CheckResult("connections", False, str(exc), "fix TIMESYNC_CONNECTIONS or the vendor variables"))
        companies = []
    if not companies:
        results.append(
            CheckResult("vendors", True, "none configured (set HARVEST_*, QBO_*, JIRA_* or TIMESYNC_CONNECTIONS)")
        )
    results.extend(check_vendors(companies))
    for result in results:
        print_line(result.line())
    return all(r.ok for r in results)
