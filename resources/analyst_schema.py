"""The analyst schema `<DB_NAME>_analyst`: what analyst logins read, filtered to their companies.

MySQL and MariaDB have no row-level security. Analysts therefore hold SELECT on `<DB_NAME>_analyst` only,
which holds one `SQL SECURITY DEFINER` view per published table and view of `DB_NAME`, with the same name,
returning the rows whose company is granted to the logged-in login (`analyst_companies`, migration 0040).
The views are derived from the base schema as it stands, so every `timesync migrate` (up or down) ends by
calling `refresh_analyst_schema`: a column a migration adds reaches analysts, an object it drops leaves.
"""

from __future__ import annotations

import pymysql

from resources.mysql import Database
from resources.sql import load_sql, quote_identifier

# The tables and views of DB_NAME analysts read (each through a filtered view of the same name). Staging,
# tokens, migrations and the analyst mapping itself are never published.
ANALYST_OBJECTS: tuple[str, ...] = (
    "companies", "clients", "projects", "service_lines", "team_members", "roles", "team_member_roles",
    "project_assignments", "time_entries", "jira_issues", "invoices", "invoice_lines", "payments", "source_links",
    "identity_overrides", "sync_conflicts", "sync_logs",
    "v_time_entries", "v_project_hours_monthly", "v_weekly_plan", "v_weekly_utilization", "v_project_budget_burn",
    "v_uninvoiced_billable_time",
    "time_entry_versions", "invoice_versions", "payment_versions", "v_time_entry_history", "v_invoice_history",
    "v_payment_history", "v_changed_after_invoiced", "v_project_hours_monthly_as_of",
)
# The column naming each published object's company; company_id unless listed.
TENANT_COLUMN = {"companies": "id"}
MAPPING_TABLE = "analyst_companies"
SUFFIX = "_analyst"


def analyst_schema_name(db_name: str) -> str:
    """`<DB_NAME>_analyst`, refused when it would pass MySQL's 64-character identifier limit."""
    name = f"{db_name}{SUFFIX}"
    quote_identifier(name)
    return name


def published_views(objects: dict[str, bool]) -> list[tuple[str, str]]:
    """(name, tenant column) of each published object present in the base schema with that column.

    `objects` maps each base table or view to whether it has company_id."""
    out: list[tuple[str, str]] = []
    for name in ANALYST_OBJECTS:
        if name not in objects:
            continue
        tenant = TENANT_COLUMN.get(name, "company_id")
        if tenant == "company_id" and not objects[name]:
            raise RuntimeError(f"{name} is published to analysts but has no company_id to filter by")
        out.append((name, tenant))
    return out


def refresh_analyst_schema(db: Database) -> list[str]:
    """Make `<DB_NAME>_analyst` hold exactly the filtered views of the published objects that exist.

    Without the mapping table (before migration 0040, or after its down) there is nothing to filter by,
    and the analyst schema is dropped. Returns the names of the views it now holds."""
    analyst = analyst_schema_name(db.name)
    fmt = {"analyst": quote_identifier(analyst), "base": quote_identifier(db.name)}

    def work(conn: pymysql.connections.Connection) -> list[str]:
        with conn.cursor() as cur:
            cur.execute(load_sql("analyst/list_objects.sql"), (db.name,))
            base = {str(name): bool(has_company) for name, _kind, has_company in cur.fetchall()}
            if MAPPING_TABLE not in base:
                cur.execute(load_sql("analyst/drop_schema.sql").format(**fmt))
                return []
            cur.execute(load_sql("analyst/create_schema.sql").format(**fmt))
            cur.execute(load_sql("analyst/list_objects.sql"), (analyst,))
            present = {str(name) for name, _kind, _has in cur.fetchall()}
            wanted = published_views(base)
            for name in sorted(present - {n for n, _ in wanted}):
                cur.execute(load_sql("analyst/drop_view.sql").format(name=quote_identifier(name), **fmt))
            for name, tenant in wanted:
                cur.execute(load_sql("analyst/create_filtered_view.sql").format(
                    name=quote_identifier(name), tenant=quote_identifier(tenant), **fmt))
        return [n for n, _ in wanted]

    return db.run(work)
