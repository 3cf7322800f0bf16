"""Harvest streams as data: which endpoint lands in which staging table, typed how, swept how.

Time entries, invoices and expenses are time-based: daily partitions re-list a `from`/`to` window
and sweep it for hard deletes; scheduled incremental runs read `updated_since` the last watermark
minus the overlap. Every other stream is a dimension, re-listed in full and swept as a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pipelines.assets.columns import ID, UPDATED_AT, col
from pipelines.assets.factory import Fetch, FetchRequest, StreamSpec, VendorSpec
from resources.config import CompanyConnections, HarvestConnection
from resources.harvest import HARVEST_RATE_LIMIT, HarvestClient, Page
from resources.http import RateLimit
from resources.staging import StagingTable
from resources.staging_types import Column

CREATED_AT = col("created_at", "datetime")

DIMENSIONS: dict[str, tuple[Column, ...]] = {
    "users": (
        col("first_name"), col("last_name"), col("email"), col("telephone"), col("timezone"),
        col("is_contractor", "bool"), col("is_active", "bool"), col("weekly_capacity", "int"),
        col("default_hourly_rate", "decimal"), col("cost_rate", "decimal"), col("roles", "json"),
        col("access_roles", "json"), CREATED_AT,
    ),
    "clients": (
        col("name"), col("is_active", "bool"), col("currency", max_length=16), col("address", "text"),
        col("statement_key"), CREATED_AT,
    ),
    "projects": (
        col("client_id", "int", "client.id"), col("name"), col("code"), col("is_active", "bool"),
        col("is_billable", "bool"), col("is_fixed_fee", "bool"), col("bill_by", max_length=32),
        col("hourly_rate", "decimal"), col("budget", "decimal"), col("budget_by", max_length=32),
        col("budget_is_monthly", "bool"), col("cost_budget", "decimal"), col("fee", "decimal"),
        col("starts_on", "date"), col("ends_on", "date"), CREATED_AT,
    ),
    "tasks": (
        col("name"), col("billable_by_default", "bool"), col("default_hourly_rate", "decimal"),
        col("is_default", "bool"), col("is_active", "bool"), CREATED_AT,
    ),
    "task_assignments": (
        col("project_id", "int", "project.id"), col("task_id", "int", "task.id"), col("is_active", "bool"),
        col("billable", "bool"), col("hourly_rate", "decimal"), col("budget", "decimal"), CREATED_AT,
    ),
    "user_assignments": (
        col("project_id", "int", "project.id"), col("user_id", "int", "user.id"), col("is_active", "bool"),
        col("is_project_manager", "bool"), col("use_default_rates", "bool"), col("hourly_rate", "decimal"),
        col("budget", "decimal"), CREATED_AT,
    ),
    "roles": (col("name"), col("user_ids", "json"), CREATED_AT),
}

# (columns, the date column a `from`/`to` window covers)
TIME_BASED: dict[str, tuple[tuple[Column, ...], str]] = {
    "time_entries": ((
        # Only what merges and checks read (migration 0033): the rest of the record is in raw_json.
        col("spent_date", "date", required=True), col("user_id", "int", "user.id", required=True),
        col("client_id", "int", "client.id"), col("project_id", "int", "project.id", required=True),
        col("task_id", "int", "task.id"), col("hours", "decimal", required=True),
        col("hours_without_timer", "decimal"), col("notes", "text"), col("is_billed", "bool"),
        col("is_running", "bool"), col("billable", "bool"), col("billable_rate", "decimal"),
        col("cost_rate", "decimal"), col("invoice_id", "int", "invoice.id"),
        col("external_reference_id", source="external_reference.id"),
    ), "spent_date"),
    "invoices": ((
        col("client_id", "int", "client.id"), col("number"), col("purchase_order"), col("amount", "decimal"),
        col("due_amount", "decimal"), col("tax_amount", "decimal"), col("tax2_amount", "decimal"),
        col("discount_amount", "decimal"), col("subject", max_length=1024), col("currency", max_length=16),
        col("state", max_length=32), col("period_start", "date"), col("period_end", "date"),
        col("issue_date", "date", required=True), col("due_date", "date"), col("payment_term", max_length=64),
        col("sent_at", "datetime"), col("paid_at", "datetime"), col("paid_date", "date"),
        col("closed_at", "datetime"), col("line_items", "json"), CREATED_AT,
    ), "issue_date"),
    "expenses": ((
        col("spent_date", "date", required=True), col("user_id", "int", "user.id"),
        col("client_id", "int", "client.id"), col("project_id", "int", "project.id"),
        col("expense_category_id", "int", "expense_category.id"),
        col("expense_category_name", source="expense_category.name"), col("units", "decimal"),
        col("total_cost", "decimal"), col("billable", "bool"), col("is_closed", "bool"),
        col("is_locked", "bool"), col("is_billed", "bool"), col("invoice_id", "int", "invoice.id"),
        col("notes", "text"), CREATED_AT,
    ), "spent_date"),
}


def fetch_harvest(resource: str) -> Fetch:
    def fetch(client: HarvestClient, request: FetchRequest) -> Iterator[Page]:
        return client.pages(resource, updated_since=request.updated_since, window=request.window)

    return fetch


# Migrations 0034 and 0035: the time-entry table grows with recorded time; its known index holds spent_date.
KNOWN_INDEXES = {"time_entries": "ix_staging_harvest_time_entries_known"}


def harvest_table(stream: str, columns: tuple[Column, ...], window_column: str | None = None) -> StagingTable:
    return StagingTable(name=f"staging_harvest_{stream}", system="harvest", stream=stream, key=ID,
                        columns=columns, updated_at=UPDATED_AT, window_column=window_column,
                        known_index=KNOWN_INDEXES.get(stream), window_in_known_index=stream in KNOWN_INDEXES)


def harvest_streams() -> tuple[StreamSpec, ...]:
    dimensions = [StreamSpec(harvest_table(name, columns), fetch_harvest(name), sweep="snapshot")
                  for name, columns in DIMENSIONS.items()]
    time_based = [StreamSpec(harvest_table(name, columns, window_column), fetch_harvest(name),
                             partitioned=True, incremental=True, sweep="window")
                  for name, (columns, window_column) in TIME_BASED.items()]
    return (*dimensions, *time_based)


def harvest_vendor(rate_limit: RateLimit = HARVEST_RATE_LIMIT) -> VendorSpec:
    """The Harvest vendor; a different `rate_limit` serves sandboxes and simulators with scaled limits."""

    def open_client(connection: HarvestConnection, log: Callable[[str], None]) -> HarvestClient:
        return HarvestClient(connection, rate_limit=rate_limit, on_event=log)

    def connection_of(company: CompanyConnections) -> HarvestConnection | None:
        return company.harvest

    return VendorSpec(system="harvest", streams=harvest_streams(), connection_of=connection_of,
                      open_client=open_client)


VENDOR = harvest_vendor()
