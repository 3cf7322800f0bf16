"""The merges from staging into the normalized tables, in dependency order, and how each is counted.

Every merge is set-based SQL in `staging_sql/merge/`. The fact merges update the stored rows whose hash
differs (never with an older staged version) and then insert the new ones, no upsert (MySQL 8 deprecates
VALUES() in ON DUPLICATE KEY UPDATE, and MariaDB lacks its row alias); the dimension merges (small) are
upserts over materialized derived tables. Only new rows and rows whose hash changed are written, and each
written row gets the run's one timestamp as updated_at, which is how the run counts what it did (and what
the history records).

The dimension merges always read every staged row. The fact merges declare the staging table that drives
them and everything else they read; `pipelines.reconcile.watermarks` decides from that whether a run may read
only the driving rows staged since the merge's watermark (`%(full)s = 0`, `sync_log_id >= %(since)s` in its
SQL) or must read them all. A declared input in `narrows` that changed keeps the merge incremental: its
`scope_*.sql` (run before it) follows the change to the driving rows it can affect (the entries of a person
whose link changed, the worklogs of an issue whose project changed, …) into a temporary scope table, which
the merge's second UPDATE reads. Lookups and scopes are temporary tables built once per merge; `after`
drops them once the merge has been counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

import pymysql

from resources.sql import load_sql, quote_identifier, sql_statements
from resources.sync_log import SyncCounts


@dataclass(frozen=True)
class MergePlan:
    """Which staged rows one merge reads in this run."""

    full: bool
    since: int = 0  # incremental: the driving staging rows with sync_log_id >= since
    reason: str = ""  # why it runs full
    narrowed: tuple[str, ...] = ()  # incremental: declared inputs that changed, followed by the merge's scope SQL

    @property
    def params(self) -> dict[str, int]:
        return {"full": int(self.full), "since": 0 if self.full else self.since}


FULL = MergePlan(full=True, reason="dimension")


@dataclass(frozen=True)
class Merge:
    table: str  # the normalized table, also the sync_logs stream
    sql: str  # file under staging_sql/merge/
    source_count_sql: str  # file under staging_sql/merge/: how many source rows the merge considered
    nested_derived: bool = False  # reads nested derived tables: run with derived_merge=off (derived_merge.sql)
    before: tuple[str, ...] = ()  # files under staging_sql/merge/ run right before it (lookup tables)
    after: tuple[str, ...] = ()  # files under staging_sql/merge/ run right after it (sweeps)
    # Fact merges only (a dimension merge has no driver and always reads everything):
    driver: str | None = None  # the staging table whose rows become the target rows
    reads: tuple[str, ...] = ()  # normalized tables it reads: written earlier in this run, it runs full
    reads_staging: tuple[str, ...] = ()  # other staging tables it reads: staged since its watermark, full
    full_with: tuple[str, ...] = ()  # earlier merges (sql) whose rows it reads: their full run makes it full
    # Of reads and reads_staging, those whose changes its own scope SQL follows to the rows they can affect: a
    # change there keeps it incremental (narrowed) instead of making it full.
    narrows: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The key of its watermark: the SQL file's name."""
        return PurePath(self.sql).stem


DIMENSION_MERGES: tuple[Merge, ...] = (
    Merge("service_lines", "merge_service_lines.sql", "count_service_line_sources.sql", nested_derived=True),
    Merge("clients", "merge_clients.sql", "count_client_entities.sql", nested_derived=True),
    Merge("projects", "merge_projects.sql", "count_project_entities.sql", nested_derived=True),
    Merge("team_members", "merge_team_members.sql", "count_person_entities.sql", nested_derived=True),
    Merge("roles", "merge_roles.sql", "count_role_names.sql", nested_derived=True),
    Merge("team_member_roles", "merge_team_member_roles.sql", "count_team_member_roles.sql", nested_derived=True,
          after=("retire_team_member_roles.sql",)),
)
FACT_MERGES: tuple[Merge, ...] = (
    Merge("jira_issues", "merge_jira_issues.sql", "count_jira_issues.sql",
          before=("scope_jira_issues.sql",), after=("drop_jira_issues_scope.sql",),
          driver="staging_jira_issues", reads=("source_links",), narrows=("source_links",)),
    Merge("time_entries", "merge_time_entries_harvest.sql", "count_harvest_time_entries.sql",
          before=("lookup_harvest_people.sql", "lookup_harvest_projects.sql", "scope_time_entries_harvest.sql"),
          after=("drop_harvest_lookups.sql",),
          driver="staging_harvest_time_entries", reads=("source_links", "projects", "service_lines"),
          reads_staging=("staging_harvest_tasks",),
          narrows=("source_links", "projects", "service_lines", "staging_harvest_tasks")),
    # Pairs worklogs with the Harvest entries (normalized and staged) that merge_time_entries_harvest.sql wrote.
    Merge("time_entries", "merge_time_entries_jira.sql", "count_jira_worklogs.sql",
          before=("lookup_jira_people.sql", "lookup_jira_issues.sql", "scope_time_entries_jira.sql",
                  "pair_jira_worklogs.sql"), after=("drop_jira_lookups.sql",),
          driver="staging_jira_worklogs", reads=("source_links", "projects", "time_entries"),
          reads_staging=("staging_jira_issues", "staging_harvest_time_entries"),
          narrows=("source_links", "projects", "time_entries", "staging_jira_issues", "staging_harvest_time_entries")),
    Merge("time_entries", "merge_time_entries_qbo.sql", "count_qbo_time_activities.sql",
          before=("lookup_qbo_people.sql", "lookup_qbo_customers.sql", "scope_time_entries_qbo.sql"),
          after=("drop_qbo_lookups.sql",),
          driver="staging_qbo_time_activities", reads=("source_links", "projects", "service_lines"),
          narrows=("source_links", "projects", "service_lines")),
    Merge("project_assignments", "merge_project_assignments.sql", "count_forecast_assignments.sql",
          before=("scope_project_assignments.sql",), after=("drop_project_assignments_scope.sql",),
          driver="staging_forecast_assignments", reads=("source_links", "projects"),
          narrows=("source_links", "projects")),
    Merge("invoices", "merge_invoices_qbo.sql", "count_qbo_invoices.sql",
          before=("scope_invoices_qbo.sql",), after=("drop_invoices_qbo_scope.sql",),
          driver="staging_qbo_invoices", reads=("source_links",), narrows=("source_links",)),
    Merge("invoices", "merge_invoices_harvest.sql", "count_harvest_invoices.sql",
          before=("scope_invoices_harvest.sql",), after=("drop_invoices_harvest_scope.sql",),
          driver="staging_harvest_invoices", reads=("source_links",), narrows=("source_links",)),
    # Lines join their invoice's row, which exists once the invoice merge has read the same staged invoice. A
    # changed service line (a QBO class, rare) still re-merges every line: a line's class sits in its JSON.
    Merge("invoice_lines", "merge_invoice_lines_qbo.sql", "count_qbo_invoice_lines.sql",
          after=("retire_invoice_lines_qbo.sql",), driver="staging_qbo_invoices", reads=("service_lines",),
          full_with=("merge_invoices_qbo.sql",)),
    Merge("invoice_lines", "merge_invoice_lines_harvest.sql", "count_harvest_invoice_lines.sql",
          after=("retire_invoice_lines_harvest.sql",), driver="staging_harvest_invoices",
          full_with=("merge_invoices_harvest.sql",)),
    # A payment can be staged before the invoice it pays: a new invoice row re-points unchanged payments.
    Merge("payments", "merge_payments_qbo.sql", "count_qbo_payments.sql",
          before=("scope_payments_qbo.sql",), after=("drop_payments_qbo_scope.sql",),
          driver="staging_qbo_payments", reads=("source_links", "invoices"), narrows=("source_links", "invoices")),
)
MERGES: tuple[Merge, ...] = DIMENSION_MERGES + FACT_MERGES
RETIRABLE = ("clients", "projects", "team_members")


def run_merge(cur: pymysql.cursors.Cursor, merge: Merge, company_id: int, now: datetime,
              plan: MergePlan = FULL) -> int:
    """Run one merge (and its sweeps) over the staged rows `plan` selects; returns how many it considered."""
    params = {"company_id": company_id, "now": now, **plan.params}
    cur.execute(load_sql("merge/derived_merge.sql"),
                {"switch": "derived_merge=off" if merge.nested_derived else "derived_merge=on"})
    for sql in (*merge.before, merge.sql):
        for statement in sql_statements(f"merge/{sql}"):
            cur.execute(statement, params)
    cur.execute(load_sql(f"merge/{merge.source_count_sql}"), params)  # before `after`, which drops the scope
    considered = int(cur.fetchone()[0])
    for sql in merge.after:
        for statement in sql_statements(f"merge/{sql}"):
            cur.execute(statement, params)
    return considered


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
