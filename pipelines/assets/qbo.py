"""QuickBooks Online streams as data: which entity lands in which staging table, typed how, deleted how.

Time activities and invoices are time-based: daily partitions re-list a `TxnDate` window and sweep
it (TimeActivity is outside CDC, so this sweep is how its deletes are found). Incremental runs read
`Metadata.LastUpdatedTime >=` the watermark minus the overlap, and for CDC entities turn CDC
tombstones into soft deletes. Lists (customers, employees …) are re-listed in full, inactive
rows included, and swept as a snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipelines.assets.columns import col
from pipelines.assets.factory import FetchRequest, StreamSpec, Tombstones, VendorSpec
from resources.config import CompanyConnections, QboConnection
from resources.mysql import Database
from resources.qbo import QboClient, qbo_timestamp, stored_tokens
from resources.staging import StagingTable
from resources.staging_types import Column

ID = col("qbo_id", source="Id", required=True, max_length=64)
UPDATED = Column("source_updated_at", "datetime", "MetaData.LastUpdatedTime")
NAME, LONG_NAME = 500, 1000


def ref(name: str, path: str) -> Column:
    return col(name, source=f"{path}.value", max_length=64)


def duration_hours(row: dict[str, Any]) -> float | None:
    """TimeActivity time: Hours/Minutes, or EndTime − StartTime − break."""
    if "Hours" in row or "Minutes" in row:
        return round(int(row.get("Hours") or 0) + int(row.get("Minutes") or 0) / 60, 4)
    if row.get("StartTime") and row.get("EndTime"):
        start, end = (datetime.fromisoformat(row[k]) for k in ("StartTime", "EndTime"))
        breaks = int(row.get("BreakHours") or 0) * 60 + int(row.get("BreakMinutes") or 0)
        return round(((end - start).total_seconds() / 60 - breaks) / 60, 4)
    return None


def invoice_ids(row: dict[str, Any]) -> str | None:
    ids = [t.get("TxnId") for line in row.get("Line") or [] for t in line.get("LinkedTxn") or []
           if t.get("TxnType") == "Invoice"]
    return ",".join(str(i) for i in ids) or None


ACTIVE, SYNC = col("active", "bool", "Active"), col("sync_token", source="SyncToken", max_length=32)
EMAIL = col("email", source="PrimaryEmailAddr.Address", max_length=320)
GIVEN, FAMILY = col("given_name", source="GivenName"), col("family_name", source="FamilyName")


@dataclass(frozen=True)
class Entity:
    name: str  # QBO's entity name (case-sensitive in queries)
    stream: str
    columns: tuple[Column, ...]
    is_list: bool = False  # inactive rows are hidden unless the query names Active
    cdc: bool = True
    window_column: str | None = None  # a TxnDate column: the entity is partitioned by it
    known_index: str | None = None  # see StagingTable.known_index


NAMED = (col("name", source="Name", max_length=NAME), col("fully_qualified_name", source="FullyQualifiedName",
                                                          max_length=LONG_NAME), ACTIVE, ref("parent_id", "ParentRef"))
ENTITIES = (
    Entity("Customer", "customers", (
        col("display_name", source="DisplayName", max_length=NAME),
        col("company_name", source="CompanyName", max_length=NAME),
        col("fully_qualified_name", source="FullyQualifiedName", max_length=LONG_NAME), GIVEN, FAMILY, EMAIL,
        ACTIVE, col("is_job", "bool", "Job"), ref("parent_id", "ParentRef"), col("level", "int", "Level"),
        col("is_project", "bool", "IsProject"), col("balance", "decimal", "Balance"),
        col("balance_with_jobs", "decimal", "BalanceWithJobs"), col("currency", source="CurrencyRef.value",
                                                                    max_length=8), SYNC), is_list=True),
    Entity("Employee", "employees", (
        col("display_name", source="DisplayName", max_length=NAME), GIVEN, FAMILY, EMAIL, ACTIVE,
        col("employee_number", source="EmployeeNumber", max_length=100),
        col("billable_time", "bool", "BillableTime"), col("bill_rate", "decimal", "BillRate"),
        col("cost_rate", "decimal", "CostRate"), col("hired_date", "date", "HiredDate"),
        col("released_date", "date", "ReleasedDate"), SYNC), is_list=True),
    Entity("Vendor", "vendors", (
        col("display_name", source="DisplayName", max_length=NAME),
        col("company_name", source="CompanyName", max_length=NAME), GIVEN, FAMILY, EMAIL, ACTIVE,
        col("vendor_1099", "bool", "Vendor1099"), col("bill_rate", "decimal", "BillRate"),
        col("cost_rate", "decimal", "CostRate"), col("balance", "decimal", "Balance"),
        col("acct_num", source="AcctNum", max_length=100), SYNC), is_list=True),
    Entity("Item", "items", (
        *NAMED[:2], col("item_type", source="Type", max_length=32), ACTIVE,
        col("unit_price", "decimal", "UnitPrice"), col("purchase_cost", "decimal", "PurchaseCost"),
        ref("parent_id", "ParentRef"), col("level", "int", "Level"), col("sku", source="Sku", max_length=100),
        ref("income_account_id", "IncomeAccountRef"), SYNC), is_list=True),
    Entity("Class", "classes", (*NAMED, col("is_sub", "bool", "SubClass"), SYNC), is_list=True),
    Entity("Department", "departments", (*NAMED, col("is_sub", "bool", "SubDepartment"), SYNC), is_list=True),
    Entity("Invoice", "invoices", (
        col("doc_number", source="DocNumber", max_length=64), col("txn_date", "date", "TxnDate", required=True),
        col("due_date", "date", "DueDate"), ref("customer_id", "CustomerRef"),
        col("customer_name", source="CustomerRef.name", max_length=LONG_NAME), ref("class_id", "ClassRef"),
        ref("department_id", "DepartmentRef"), ref("project_id", "ProjectRef"),
        col("currency", source="CurrencyRef.value", max_length=8), col("exchange_rate", "decimal", "ExchangeRate"),
        col("total_amt", "decimal", "TotalAmt"), col("balance", "decimal", "Balance"),
        col("home_total_amt", "decimal", "HomeTotalAmt"), col("total_tax", "decimal", "TxnTaxDetail.TotalTax"),
        Column("line_count", "int", lambda r: sum(1 for line in r.get("Line") or [] if line.get("Id"))),
        SYNC), window_column="txn_date"),
    Entity("Payment", "payments", (
        col("txn_date", "date", "TxnDate"), ref("customer_id", "CustomerRef"),
        col("currency", source="CurrencyRef.value", max_length=8), col("total_amt", "decimal", "TotalAmt"),
        col("unapplied_amt", "decimal", "UnappliedAmt"), Column("invoice_ids", "str", invoice_ids, max_length=2000),
        ref("deposit_account_id", "DepositToAccountRef"), ref("payment_method_id", "PaymentMethodRef"), SYNC)),
    Entity("TimeActivity", "time_activities", (
        col("txn_date", "date", "TxnDate", required=True), col("name_of", source="NameOf", max_length=16),
        ref("employee_id", "EmployeeRef"), ref("vendor_id", "VendorRef"),
        Column("person_name", "str", lambda r: (r.get("EmployeeRef") or r.get("VendorRef") or {}).get("name"),
               max_length=NAME),
        ref("customer_id", "CustomerRef"), col("customer_name", source="CustomerRef.name", max_length=LONG_NAME),
        ref("item_id", "ItemRef"), ref("class_id", "ClassRef"), ref("department_id", "DepartmentRef"),
        ref("project_id", "ProjectRef"), col("billable_status", source="BillableStatus", max_length=32),
        col("taxable", "bool", "Taxable"), col("hourly_rate", "decimal", "HourlyRate"),
        col("cost_rate", "decimal", "CostRate"), col("hours", "int", "Hours"), col("minutes", "int", "Minutes"),
        col("break_hours", "int", "BreakHours"), col("break_minutes", "int", "BreakMinutes"),
        col("start_time", "datetime", "StartTime"), col("end_time", "datetime", "EndTime"),
        Column("duration_hours", "decimal", duration_hours), col("description", "text", "Description"), SYNC),
        cdc=False, window_column="txn_date", known_index="ix_qta_known"),
)


def entity_fetch(entity: Entity) -> Callable[[QboClient, FetchRequest], Iterator[list[dict[str, Any]] | Tombstones]]:
    def fetch(client: QboClient, request: FetchRequest) -> Iterator[list[dict[str, Any]] | Tombstones]:
        where = ["Active IN (true, false)"] if entity.is_list else []
        if request.mode == "incremental" and request.updated_since is not None:
            where.append(f"Metadata.LastUpdatedTime >= '{qbo_timestamp(request.updated_since)}'")
            yield from client.pages(entity.name, where)
            if entity.cdc:
                for ids in client.cdc_tombstones(entity.name, request.updated_since):
                    yield Tombstones(ids)
            return
        if request.mode == "window" and request.window is not None:
            start, end = request.window
            where += [f"TxnDate >= '{start.isoformat()}'", f"TxnDate <= '{end.isoformat()}'"]
        yield from client.complete_listing(entity.name, where)

    return fetch


def stream_of(entity: Entity) -> StreamSpec:
    table = StagingTable(f"staging_qbo_{entity.stream}", "qbo", entity.stream, ID, entity.columns, UPDATED,
                         window_column=entity.window_column, known_index=entity.known_index)
    partitioned = entity.window_column is not None
    return StreamSpec(table, entity_fetch(entity), partitioned=partitioned, incremental=True,
                      sweep="window" if partitioned else "snapshot",
                      description=f"QuickBooks {entity.name} rows into {table.name}")


@contextmanager
def open_qbo(connection: QboConnection, log: Callable[[str], None], db: Database) -> Iterator[QboClient]:
    tokens = stored_tokens(db, connection)
    # Intuit says wait 60 s after a throttle; tests and demos scale it down.
    wait = float(os.environ.get("QBO_THROTTLE_WAIT_SECONDS", "60"))
    with QboClient(connection, tokens, throttle_wait=wait, on_event=log) as client:
        yield client


def qbo_connection(company: CompanyConnections) -> QboConnection | None:
    return company.qbo


VENDOR = VendorSpec(system="qbo", streams=tuple(stream_of(e) for e in ENTITIES), connection_of=qbo_connection,
                    open_client=open_qbo, client_needs_database=True)
STREAMS = {spec.name: spec for spec in VENDOR.streams}
