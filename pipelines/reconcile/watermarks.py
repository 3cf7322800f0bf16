"""Incremental fact merges: from which staging run each merge reads, and when it must read everything.

A staging run stamps every row it writes or marks deleted with its `sync_logs` id, and ids grow with the
start of runs. `merge_watermarks` holds, per company and fact merge, the first id the next reconcile has to
read: the oldest staging run still running when the last reconcile began, else the id after the company's
newest. A merge reads only its driving staging rows from there on, unless something else it reads may have
changed (see `Merge` for the declarations): a change its own scope SQL follows (`Merge.narrows`) adds the rows
it can affect and is listed in the plan's `narrowed`; any other makes it read every staged row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pymysql

from pipelines.reconcile.merges import Merge, MergePlan
from resources.sql import load_sql, quote_identifier


@dataclass(frozen=True)
class Watermark:
    next_sync_log_id: int
    sql_checksum: str


def next_sync_log_id(conn: pymysql.connections.Connection, company_id: int, system: str) -> int:
    """The watermark this run stores: rows staged by runs with this id or a later one may not be visible to it.

    Its own short transaction, committed before the reconcile reads anything: the locking read holds back new
    staging runs of the company only until then, and the reconcile's snapshot, taken after it, sees every row
    of the runs below the watermark (they had all finished).
    """
    params = {"company_id": company_id, "system": system}
    with conn.cursor() as cur:
        cur.execute(load_sql("reconcile/oldest_running_staging_run.sql"), params)
        running = cur.fetchone()[0]
        cur.execute(load_sql("reconcile/last_sync_log_id.sql"), params)
        last = cur.fetchone()[0]
    conn.commit()
    return int(running) if running is not None else int(last or 0) + 1


@cache
def sql_checksum(merge: Merge) -> str:
    """SHA-256 of what the merge writes with: its lookups, SQL and sweeps (the count SQL writes nothing)."""
    digest = hashlib.sha256()
    for name in (*merge.before, merge.sql, *merge.after):
        digest.update(load_sql(f"merge/{name}").encode())
        digest.update(b"\0")
    return digest.hexdigest()


def stored_watermarks(cur: pymysql.cursors.Cursor, company_id: int) -> dict[str, Watermark]:
    cur.execute(load_sql("reconcile/select_merge_watermarks.sql"), {"company_id": company_id})
    return {name: Watermark(int(next_id), checksum) for name, next_id, checksum in cur.fetchall()}


def plan_merge(cur: pymysql.cursors.Cursor, merge: Merge, company_id: int, now: datetime,
               stored: Watermark | None, ran_full: Collection[str], force_full: bool) -> MergePlan:
    """Incremental from the stored watermark, or full with the first reason found (cheapest checks first)."""
    if force_full:
        return MergePlan(full=True, reason="full run requested")
    if stored is None:
        return MergePlan(full=True, reason="no watermark yet")
    if stored.sql_checksum != sql_checksum(merge):
        return MergePlan(full=True, reason="merge SQL changed")
    since = stored.next_sync_log_id
    for other in merge.full_with:
        if other in ran_full:
            return MergePlan(full=True, reason=f"{other} ran full")
    narrowed: list[str] = []
    for table in merge.reads:
        if _exists(cur, "merge/changed_now.sql", table, company_id=company_id, now=now):
            if table not in merge.narrows:
                return MergePlan(full=True, reason=f"{table} changed in this run")
            narrowed.append(table)
    for table in merge.reads_staging:
        if _exists(cur, "merge/staged_since.sql", table, company_id=company_id, since=since):
            if table not in merge.narrows:
                return MergePlan(full=True, reason=f"{table} has rows staged since sync_log {since}")
            narrowed.append(table)
    return MergePlan(full=False, since=since, narrowed=tuple(narrowed))


def store_watermark(cur: pymysql.cursors.Cursor, merge: Merge, company_id: int, next_id: int, plan: MergePlan,
                    now: datetime, sync_log_id: int | None) -> None:
    """In the reconcile's transaction, so the watermark never moves without the rows it vouches for."""
    cur.execute(load_sql("reconcile/upsert_merge_watermark.sql"), {
        "company_id": company_id, "merge_name": merge.name, "next_sync_log_id": next_id,
        "sql_checksum": sql_checksum(merge), "last_mode": "full" if plan.full else "incremental",
        "sync_log_id": sync_log_id, "now": now})


def _exists(cur: pymysql.cursors.Cursor, sql: str, table: str, **params: Any) -> bool:
    cur.execute(load_sql(sql).format(table=quote_identifier(table)), params)
    return bool(cur.fetchone()[0])
