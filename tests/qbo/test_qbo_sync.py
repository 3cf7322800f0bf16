"""QBO into staging over HTTP: counts equal the simulator's truth, paging, faults, throttles and deletes."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.assets import qbo as qbo_assets
from resources.config import CompanyConnections
from resources.mysql import Database
from resources.qbo import QboClient, QboFault, stored_tokens
from simulators.stack import SimulatorStack
from tests.qbo.conftest import qbo_rows, sync_qbo
from tests.sim_sync import sync_log_rows


def qbo_queries(stack: SimulatorStack, entity: str) -> list[str]:
    return [r["params"].get("query", "") for r in stack.servers["qbo"].requests()
            if r["path"].endswith("/query") and f"FROM {entity}" in r["params"].get("query", "")]


def test_full_sync_counts_equal_simulator_truth_and_inactive_customers_are_flagged(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    for entity in qbo_assets.ENTITIES:
        sync_qbo(migrated_db, qbo_company, entity.stream)
    truth = qbo_stack.truth()["qbo"]
    for entity in qbo_assets.ENTITIES:
        live = qbo_rows(migrated_db, qbo_company, entity.stream, "deleted_at IS NULL")
        assert len(live) == truth["counts"][entity.name], entity.name

    customers = {r["qbo_id"]: r for r in qbo_rows(migrated_db, qbo_company, "customers")}
    assert truth["inactive_customers"]
    assert all(customers[i]["active"] == 0 for i in truth["inactive_customers"])
    jobs = [r for r in customers.values() if r["is_job"]]
    assert jobs and all(r["parent_id"] in customers and ":" in r["fully_qualified_name"] for r in jobs)
    assert all("Active IN (true, false)" in q for q in qbo_queries(qbo_stack, "Customer") if "count" not in q)
    activities = qbo_rows(migrated_db, qbo_company, "time_activities")
    assert all(r["duration_hours"] is not None and r["txn_date"] for r in activities)
    assert {r["name_of"] for r in activities} == {"Employee", "Vendor"}


def test_paging_ends_cleanly_at_the_empty_query_response(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    tokens = stored_tokens(migrated_db, qbo_company.qbo)
    with QboClient(qbo_company.qbo, tokens, page_size=100, prefetch_pages=1) as client:
        rows = [row for page in client.pages("TimeActivity", []) for row in page]
    assert len({r["Id"] for r in rows}) == len(rows) == qbo_stack.truth()["qbo"]["counts"]["TimeActivity"]
    positions = [int(q.split("STARTPOSITION ")[1].split()[0]) for q in qbo_queries(qbo_stack, "TimeActivity")]
    assert positions == [1, 101, 201, 301]
    last = [r for r in qbo_stack.servers["qbo"].requests() if r["path"].endswith("/query")][-1]
    assert last["status"] == 200 and last["records"] == 0


def test_fault_inside_http_200_fails_loudly(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    qbo_stack.servers["qbo"].add_fault({"kind": "custom", "name": "fault_in_200", "path": "/query"})
    with pytest.raises(QboFault, match=r"Fault 10000.*HTTP 200"):
        sync_qbo(migrated_db, qbo_company, "items")
    row = sync_log_rows(migrated_db, qbo_company, "items")[-1]
    assert row["status"] == "failed" and "Fault 10000" in row["error_message"]
    assert qbo_rows(migrated_db, qbo_company, "items") == []


def test_throttle_as_json_429_or_xml_waits_and_completes(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    server = qbo_stack.servers["qbo"]
    server.add_fault({"kind": "429", "path": "/query"})
    server.add_fault({"kind": "custom", "name": "throttle_xml", "path": "/query"})
    outcome = sync_qbo(migrated_db, qbo_company, "departments")
    assert outcome.stats.throttled == 2
    assert len(qbo_rows(migrated_db, qbo_company, "departments")) == qbo_stack.truth()["qbo"]["counts"]["Department"]


def test_invoice_deleted_at_quickbooks_is_soft_deleted_through_cdc(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    sync_qbo(migrated_db, qbo_company, "invoices", mode="full")
    victim = qbo_rows(migrated_db, qbo_company, "invoices")[3]["qbo_id"]
    qbo_stack.servers["qbo"].mutate(system="qbo", resource="Invoice", op="delete", id=victim)

    outcome = sync_qbo(migrated_db, qbo_company, "invoices", mode="incremental")
    assert outcome.request.mode == "incremental" and outcome.run.counts.deleted == 1
    assert any(r["path"].endswith("/cdc") for r in qbo_stack.servers["qbo"].requests())
    deleted = qbo_rows(migrated_db, qbo_company, "invoices", "deleted_at IS NOT NULL")
    assert [r["qbo_id"] for r in deleted] == [victim]


def test_deleted_time_activity_is_caught_by_the_window_sweep(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    sync_qbo(migrated_db, qbo_company, "time_activities", mode="full")
    rows = qbo_rows(migrated_db, qbo_company, "time_activities")
    victim = rows[len(rows) // 2]
    day: date = victim["txn_date"]
    qbo_stack.servers["qbo"].mutate(system="qbo", resource="TimeActivity", op="delete", id=victim["qbo_id"])

    outcome = sync_qbo(migrated_db, qbo_company, "time_activities", mode="window", window=(day, day))
    assert outcome.request.mode == "window" and outcome.run.counts.deleted == 1
    deleted = qbo_rows(migrated_db, qbo_company, "time_activities", "deleted_at IS NOT NULL")
    assert [r["qbo_id"] for r in deleted] == [victim["qbo_id"]]
