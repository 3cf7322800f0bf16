"""One reconciliation run for one company: crosswalk, field conflicts, merges — one transaction.

A failure anywhere rolls every normalized table back to where it was (and the fact merges' watermarks
with them) and marks this run's `sync_logs` rows failed; a rerun converges to the state an uninterrupted
run would have reached. Fact merges read only the rows staged since their watermark unless they must
read everything (`pipelines.reconcile.watermarks`); `full=True` makes every merge read everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pymysql
from pymysql.cursors import DictCursor

from pipelines.reconcile.conflicts import record_field_conflicts
from pipelines.reconcile.crosswalk import CrosswalkResult, resolve_people, resolve_projects_and_clients
from pipelines.reconcile.history import HISTORY_TABLES, record_history
from pipelines.reconcile.merges import (
    DIMENSION_MERGES,
    FACT_MERGES,
    MERGES,
    RETIRABLE,
    MergePlan,
    changes_now,
    retire_orphans,
    run_merge,
)
from pipelines.reconcile.watermarks import next_sync_log_id, plan_merge, store_watermark, stored_watermarks
from resources.faults import fault_point
from resources.locks import lock_name, named_lock
from resources.mysql import Database
from resources.sql import sql_statements
from resources.sync_log import SyncCounts, SyncLogs, SyncRun

SYSTEM = "timesync"
ENTITY_OF_TABLE = {"clients": "client", "projects": "project", "team_members": "person"}


@dataclass
class ReconcileOutcome:
    company_id: int
    counts: dict[str, SyncCounts] = field(default_factory=dict)
    crosswalk: list[CrosswalkResult] = field(default_factory=list)
    field_conflicts: int = 0
    plans: dict[str, MergePlan] = field(default_factory=dict)  # per fact merge (name): full or incremental

    @property
    def unmatched(self) -> int:
        return sum(1 for r in self.crosswalk for f in r.findings if f.kind == "unmatched")

    @property
    def ambiguous(self) -> int:
        return sum(1 for r in self.crosswalk for f in r.findings if f.kind == "ambiguous_match")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def reconcile_company(db: Database, company_id: int, run_id: str | None = None,
                      log: Callable[[str], None] = print, full: bool = False, history: bool = True) -> ReconcileOutcome:
    """`history=False` skips the versions of time and money (`pipelines.reconcile.history`): for the merge
    benchmark's without-history baseline only; a run without it loses those changes' history for good."""
    logs = SyncLogs(db)
    tables = list(dict.fromkeys(["source_links", *(m.table for m in MERGES)]))
    with named_lock(db, lock_name(db.name, company_id, SYSTEM, "reconcile")):
        runs: dict[str, SyncRun] = {
            t: logs.start(company_id=company_id, system_name=SYSTEM, stream=t, sync_type="merge", run_id=run_id)
            for t in tables}
        outcome = ReconcileOutcome(company_id)
        conn = db.connect()
        try:
            _reconcile(conn, company_id, runs, outcome, log, full, history)
            fault_point("reconcile_transaction")  # test-only: a kill here must roll every merge back
            conn.commit()
        except BaseException as exc:
            try:
                conn.rollback()
            finally:
                for run in runs.values():
                    logs.fail(run, exc)
            raise
        finally:
            conn.close()
        for table, run in runs.items():
            run.counts = outcome.counts.get(table, SyncCounts())
            logs.complete(run)
    return outcome


def _reconcile(conn: pymysql.connections.Connection, company_id: int, runs: dict[str, SyncRun],
               outcome: ReconcileOutcome, log: Callable[[str], None], full: bool, history: bool = True) -> None:
    # First, before this transaction reads any staged row: its snapshot must include every run below the watermark.
    next_id = next_sync_log_id(conn, company_id, SYSTEM)
    # One timestamp for the run: updated_at = now marks exactly the rows this run changed.
    now = utc_now()
    link_log = runs["source_links"].id
    with conn.cursor(DictCursor) as cur:
        for statement in sql_statements("merge/session_settings.sql"):
            cur.execute(statement)
        outcome.crosswalk = [*resolve_projects_and_clients(cur, company_id, now, link_log),
                             resolve_people(cur, company_id, now, link_log)]
    links = SyncCounts()
    for r in outcome.crosswalk:
        links.records_processed += r.links
        links.conflicts += len(r.findings)
    outcome.counts["source_links"] = links
    with conn.cursor() as cur:
        considered: dict[str, int] = {}
        for merge in DIMENSION_MERGES:
            considered[merge.table] = considered.get(merge.table, 0) + run_merge(cur, merge, company_id, now)
        # Before the facts, so that every dimension change of this run is in place when they plan.
        for table in RETIRABLE:
            retire_orphans(cur, table, ENTITY_OF_TABLE[table], company_id, now)
        outcome.plans = _merge_facts(cur, company_id, now, next_id, runs, considered, full, log)
        for table, n in considered.items():
            counts = outcome.counts[table] = changes_now(cur, table, company_id, now, n)
            log(f"reconcile company {company_id}: {table}: {counts.inserted} inserted, {counts.updated} updated, "
                f"{counts.deleted} deleted, {counts.unchanged} unchanged")
        if history:  # the versions of what the fact merges just wrote, in the same transaction
            record_history(cur, company_id, now, {t: runs[t].id for t in HISTORY_TABLES},
                           {t: outcome.counts[t] for t in HISTORY_TABLES}, log)
        by_type = record_field_conflicts(cur, company_id, now, link_log)
    outcome.field_conflicts = sum(by_type.values())
    for table, entity_type in (*ENTITY_OF_TABLE.items(), ("invoices", "invoice")):
        outcome.counts[table].conflicts = by_type[entity_type]


def _merge_facts(cur: pymysql.cursors.Cursor, company_id: int, now: datetime, next_id: int,
                 runs: dict[str, SyncRun], considered: dict[str, int], full: bool,
                 log: Callable[[str], None]) -> dict[str, MergePlan]:
    """Each fact merge, incremental or full, and its new watermark; adds what each considered to `considered`."""
    stored = stored_watermarks(cur, company_id)
    plans: dict[str, MergePlan] = {}
    ran_full: set[str] = set()
    for merge in FACT_MERGES:
        plan = plan_merge(cur, merge, company_id, now, stored.get(merge.name), ran_full, full)
        n = run_merge(cur, merge, company_id, now, plan)
        considered[merge.table] = considered.get(merge.table, 0) + n
        fault_point("before_watermark")  # test-only
        store_watermark(cur, merge, company_id, next_id, plan, now, runs[merge.table].id)
        plans[merge.name] = plan
        if plan.full:
            ran_full.add(merge.sql)
        mode = f"full ({plan.reason})" if plan.full else f"incremental from sync_log {plan.since}"
        log(f"reconcile company {company_id}: {merge.name}: {mode}, {n} staged rows considered")
    return plans
