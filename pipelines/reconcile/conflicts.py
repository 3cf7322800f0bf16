"""Field conflicts: a value that differs from the owning system's is recorded, never applied."""

from __future__ import annotations

from datetime import datetime

import pymysql
from pymysql.cursors import DictCursor

from resources.sql import load_sql

ENTITY_TYPES = ("person", "client", "project", "invoice")


def record_field_conflicts(cur: pymysql.cursors.Cursor, company_id: int, now: datetime,
                           sync_log_id: int | None) -> dict[str, int]:
    """Upsert this run's field conflicts, resolve those no longer seen; returns counts per entity type."""
    with cur.connection.cursor(DictCursor) as dict_cur:
        rows = []
        for sql in ("reconcile/select_field_conflicts.sql", "reconcile/select_invoice_conflicts.sql"):
            dict_cur.execute(load_sql(sql), {"company_id": company_id})
            rows.extend(dict_cur.fetchall())
    counts = dict.fromkeys(ENTITY_TYPES, 0)
    upsert = load_sql("reconcile/upsert_conflict.sql")
    for row in rows:
        counts[row["entity_type"]] += 1
        cur.execute(upsert, {**row, "company_id": company_id, "kind": "field_conflict", "now": now,
                             "detail": f"{row['owning_system']} owns {row['field_name']}; not applied",
                             "sync_log_id": sync_log_id})
    for entity_type in ENTITY_TYPES:
        cur.execute(load_sql("reconcile/resolve_unseen_conflicts.sql"),
                    (now, company_id, entity_type, "field_conflict", now))
    return counts
