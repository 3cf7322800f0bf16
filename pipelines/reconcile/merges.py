"""The merges from staging into the normalized tables, in dependency order, and how each is counted.

Every merge is a hash-only `INSERT … SELECT … ON DUPLICATE KEY UPDATE` in `staging_sql/merge/`: only
new rows and rows whose hash changed (and whose source version is not older) are written, and each
written row gets the run's one timestamp as updated_at, which is how the run counts what it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pymysql

from resources.sql import load_sql, quote_identifier
from resources.sync_log import SyncCounts


@dataclass(frozen=True)
class Merge:
    table: str  # the normalized table, also the sync_logs stream
    sql: str  # file under staging_sql/merge/
    source_count_sql: str  # file under staging_sql/merge/: how many source rows the merge considered
    nested_derived: bool = False  # reads nested derived tables: run with derived_merge=off (derived_merge.sql)
    after: tuple[str, ...] = ()  # files under staging_sql/merge/ run right after it (sweeps)


MERGES: tuple[Merge, ...] = (
    Merge("service_lines", "merge_service_lines.sql", "count_service_line_sources.sql", nested_derived=True),
    Merge("clients", "merge_clients.sql", "count_client_entities.sql", nested_derived=True),
    Merge("projects", "merge_projects.sql", "count_project_entities.sql", nested_derived=True),
    Merge("team_members", "merge_team_members.sql", "count_person_entities.sql", nested_derived=True),
    Merge("roles", "merge_roles.sql", "count_role_names.sql", nested_derived=True),
    Merge("team_member_roles", "merge_team_member_roles.sql", "count_team_member_roles.sql", nested_derived=True,
          after=("retire_team_member_roles.sql",)),
    Merge("jira_issues", "merge_jira_issues.sql", "count_jira_issues.sql"),
    Merge("time_entries", "merge_time_entries_harvest.sql", "count_harvest_time_entries.sql"),
    Merge("time_entries", "merge_time_entries_jira.sql", "count_jira_worklogs.sql", nested_derived=True),
    Merge("time_entries", "merge_time_entries_qbo.sql", "count_qbo_time_activities.sql"),
    Merge("project_assignments", "merge_project_assignments.sql", "count_forecast_assignments.sql",
          nested_derived=True),
    Merge("invoices", "merge_invoices_qbo.sql", "count_qbo_invoices.sql"),
    Merge("invoices", "merge_invoices_harvest.sql", "count_harvest_invoices.sql"),
    Merge("invoice_lines", "merge_invoice_lines_qbo.sql", "count_qbo_invoice_lines.sql",
          after=("retire_invoice_lines_qbo.sql",)),
    Merge("invoice_lines", "merge_invoice_lines_harvest.sql", "count_harvest_invoice_lines.sql",
          after=("retire_invoice_lines_harvest.sql",)),
    Merge("payments", "merge_payments_qbo.sql", "count_qbo_payments.sql"),
)
RETIRABLE = ("clients", "projects", "team_members")


def run_merge(cur: pymysql.cursors.Cursor, merge: Merge, company_id: int, now: datetime) -> int:
    """Run one merge; returns how many source rows it considered."""
    params = {"company_id": company_id, "now": now}
    cur.execute(load_sql("merge/derived_merge.sql"),
                {"switch": "derived_merge=off" if merge.nested_derived else "derived_merge=on"})
    cur.execute(load_sql(f"merge/{merge.sql}"), params)
    for sql in merge.after:
        cur.execute(load_sql(f"merge/{sql}"), params)
    cur.execute(load_sql(f"merge/{merge.source_count_sql}"), params)
    return int(cur.fetchone()[0])


def changes_now(cur: pymysql.cursors.Cursor, table: str, company_id: int, now: datetime,
                considered: int) -> SyncCounts:
    """Counts of one table for this run: rows it wrote carry updated_at = now (one timestamp per run)."""
    cur.execute(load_sql("merge/count_changed_now.sql").format(table=quote_identifier(table)),
                {"company_id": company_id, "now": now})
    inserted, updated, deleted = (int(v) for v in cur.fetchone())
    return SyncCounts(records_processed=considered, inserted=inserted, updated=updated, deleted=deleted,
                      unchanged=max(0, considered - inserted - updated - deleted))


def retire_orphans(cur: pymysql.cursors.Cursor, table: str, entity_type: str, company_id: int,
                   now: datetime) -> int:
    """Entities that lost every link (an override moved them elsewhere) are soft-deleted."""
    sql = load_sql("merge/retire_orphan_entities.sql").format(table=quote_identifier(table))
    return int(cur.execute(sql, {"company_id": company_id, "now": now, "entity_type": entity_type}))
