"""A simulator world synced through the real extraction code into MySQL, for the reconcile tests."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipelines.assets import jira, qbo
from pipelines.assets.factory import VendorSpec, run_stream
from pipelines.assets.forecast import forecast_vendor
from pipelines.assets.harvest import harvest_vendor
from resources.config import CompanyConnections, load_companies
from resources.locks import ensure_company
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import quote_identifier
from simulators.stack import SimulatorStack, start_stack
from tests.conftest import database_named, drop_database, new_database_name
from tests.sim_sync import FAST_RATE_LIMIT, SIM_RATE_LIMIT_SCALE

VENDORS: tuple[VendorSpec, ...] = (harvest_vendor(FAST_RATE_LIMIT), forecast_vendor(FAST_RATE_LIMIT), qbo.VENDOR,
                                   jira.VENDOR)


@dataclass
class SyncedWorld:
    stack: SimulatorStack
    company: CompanyConnections
    company_id: int

    def truth(self) -> dict[str, Any]:
        return self.stack.truth()


def company_for(stack: SimulatorStack, world: str = "acme") -> CompanyConnections:
    """All four connections of a world, under a company key of its own (tests share one database)."""
    env = {**stack.env(world), "TIMESYNC_COMPANY_KEY": f"{world}_{secrets.token_hex(4)}"}
    return load_companies(env)[0]


def forget_qbo_tokens(db: Database, company: CompanyConnections) -> None:
    """Each test starts a new QBO simulator under the same realm id, which knows only its seed token:
    tokens another test's simulator rotated into the shared database would be refused."""
    if company.qbo is not None:
        db.execute("DELETE FROM oauth_tokens WHERE provider = 'qbo' AND account_key = %s", (company.qbo.realm_id,))


def sync_all(db: Database, company: CompanyConnections, mode: str = "full",
             vendors: tuple[VendorSpec, ...] = VENDORS) -> int:
    forget_qbo_tokens(db, company)
    for vendor in vendors:
        if vendor.connection_of(company) is None:
            continue
        for spec in vendor.streams:
            run_stream(db, company, vendor, spec, mode=mode, log=lambda _line: None)
    return ensure_company(db, company.key, company.name)


def quiet(_line: str) -> None:
    pass


@contextmanager
def world_in_own_database(vendors: tuple[VendorSpec, ...] = VENDORS) -> Iterator[dict[str, Any]]:
    """A migrated database of its own (for tests that alter constraints) holding one frozen-clock world
    synced through the given vendors; reconciliation is left to the caller."""
    name = new_database_name()
    db = database_named(name)
    migrate(db, log=quiet)
    stack = start_stack(["acme"], rate_limit_scale=SIM_RATE_LIMIT_SCALE, vendors=tuple(v.system for v in vendors))
    try:
        stack.world().clock.control(freeze=stack.world().clock.iso())  # the running timer stops growing
        company = company_for(stack)
        company_id = sync_all(db, company, vendors=vendors)
        yield {"db": db, "stack": stack, "company": company, "company_id": company_id}
    finally:
        stack.stop()
        drop_database(name)


NORMALIZED_TABLES = ("clients", "projects", "service_lines", "team_members", "project_assignments", "time_entries",
                     "source_links", "roles", "team_member_roles", "jira_issues", "invoices", "invoice_lines",
                     "payments")


def links(db: Database, company_id: int, entity_type: str) -> dict[tuple[str, str, str], int]:
    rows = db.query("SELECT `system`, source_type, source_id, entity_id FROM source_links "
                    "WHERE company_id = %s AND entity_type = %s AND deleted_at IS NULL", (company_id, entity_type))
    return {(r["system"], r["source_type"], r["source_id"]): int(r["entity_id"]) for r in rows}


def open_conflicts(db: Database, company_id: int, kind: str) -> set[tuple[str, str, str, str]]:
    rows = db.query("SELECT entity_type, `system`, source_type, source_id FROM sync_conflicts "
                    "WHERE company_id = %s AND kind = %s AND status = 'open'", (company_id, kind))
    return {(r["entity_type"], r["system"], r["source_type"], r["source_id"]) for r in rows}


def checksums(db: Database, company_id: int) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every column of each normalized table (one company)."""
    out = {}
    for table in NORMALIZED_TABLES:
        cols = [r["c"] for r in db.query(
            "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() "
            "AND table_name = %s ORDER BY ordinal_position", (table,))]
        rows = db.query(f"SELECT * FROM {quote_identifier(table)} WHERE company_id = %s", (company_id,))
        digest = sorted(repr(tuple(r[c] for c in cols)) for r in rows)
        out[table] = (len(rows), hashlib.md5("\n".join(digest).encode()).hexdigest())
    return out


def add_override(db: Database, company_id: int, entity_type: str, source: tuple[str, str, str], action: str,
                 target: tuple[str, str, str] | None = None, note: str = "test") -> int:
    t_system, t_type, t_id = target or (None, None, None)
    return db.execute(
        "INSERT INTO identity_overrides (company_id, entity_type, `system`, source_type, source_id, action, "
        "target_system, target_source_type, target_source_id, note) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
        (company_id, entity_type, *source, action, t_system, t_type, t_id, note))


def reconcile_logs(db: Database, company_id: int, run_id: str) -> dict[str, dict[str, Any]]:
    rows = db.query("SELECT * FROM sync_logs WHERE company_id = %s AND system_name = 'timesync' AND run_id = %s",
                    (company_id, run_id))
    return {r["stream"]: r for r in rows}


def hours_by_project_month(db: Database, company_id: int) -> dict[tuple[int | None, str], float]:
    rows = db.query("SELECT p.harvest_project_id, h.month, h.hours FROM v_project_hours_monthly h "
                    "LEFT JOIN projects p ON p.id = h.project_id WHERE h.company_id = %s", (company_id,))
    out: dict[tuple[int | None, str], float] = {}
    for r in rows:
        key = (r["harvest_project_id"], r["month"])
        out[key] = round(out.get(key, 0.0) + float(r["hours"]), 4)
    return out
