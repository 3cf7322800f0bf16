"""Invoices, invoice lines, payments, Jira issues and roles merged from a simulator world with known truth."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from pipelines.assets import qbo
from pipelines.assets.factory import run_stream
from pipelines.reconcile.run import reconcile_company
from resources.mysql import Database
from simulators.stack import start_stack
from tests.reconcile.world_sync import company_for, forget_qbo_tokens, reconcile_logs, sync_all
from tests.sim_sync import SIM_RATE_LIMIT_SCALE


def quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def world(migrated_db: Database) -> Iterator[dict[str, Any]]:
    stack = start_stack(["acme"], rate_limit_scale=SIM_RATE_LIMIT_SCALE)
    try:
        stack.world().clock.control(freeze=stack.world().clock.iso())
        company = company_for(stack)
        company_id = sync_all(migrated_db, company)
        reconcile_company(migrated_db, company_id, log=quiet)
        yield {"db": migrated_db, "stack": stack, "company": company, "company_id": company_id,
               "truth": stack.truth()}
    finally:
        stack.stop()


def count(world: dict[str, Any], sql: str) -> int:
    return int(world["db"].query(sql, (world["company_id"],))[0]["n"])


def test_invoices_lines_payments_and_issues_match_the_simulator_truth(world: dict[str, Any]) -> None:
    truth, sim = world["truth"], world["stack"].world()
    qbo_counts = truth["qbo"]["counts"]
    assert count(world, "SELECT COUNT(*) AS n FROM invoices WHERE company_id = %s AND source_system = 'qbo' "
                        "AND deleted_at IS NULL") == qbo_counts["Invoice"]
    assert count(world, "SELECT COUNT(*) AS n FROM invoices WHERE company_id = %s AND source_system = 'harvest' "
                        "AND deleted_at IS NULL") == truth["counts"]["harvest"]["invoices"]
    lines = sum(len(inv["lines"]) for inv in sim.invoices)
    for system in ("qbo", "harvest"):
        assert count(world, "SELECT COUNT(*) AS n FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id "
                            f"WHERE l.company_id = %s AND i.source_system = '{system}' "
                            "AND l.deleted_at IS NULL") == lines
    # Each invoice's lines add up to its total (the SubTotal line is no line).
    assert count(world, "SELECT COUNT(*) AS n FROM invoices i JOIN (SELECT invoice_id, SUM(amount) AS s "
                        "FROM invoice_lines GROUP BY invoice_id) l ON l.invoice_id = i.id "
                        "WHERE i.company_id = %s AND ABS(l.s - i.total_amount) > 0.01") == 0
    assert count(world, "SELECT COUNT(*) AS n FROM payments WHERE company_id = %s "
                        "AND deleted_at IS NULL") == qbo_counts["Payment"]
    assert count(world, "SELECT COUNT(*) AS n FROM jira_issues WHERE company_id = %s "
                        "AND deleted_at IS NULL") == truth["counts"]["jira"]["issues"]
    assert count(world, "SELECT COUNT(*) AS n FROM jira_issues WHERE company_id = %s AND project_id IS NULL") == 0
    # QBO money and Harvest's agree in this world: no invoice conflicts.
    assert count(world, "SELECT COUNT(*) AS n FROM sync_conflicts WHERE company_id = %s "
                        "AND entity_type = 'invoice' AND status = 'open'") == 0


def test_payments_point_at_the_invoices_they_pay(world: dict[str, Any]) -> None:
    rows = world["db"].query(
        "SELECT p.source_id, p.applied_invoice_source_ids, p.total_amount, p.client_id, i.source_id AS invoice, "
        "i.total_amount AS invoice_total, i.client_id AS invoice_client FROM payments p "
        "LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.company_id = %s", (world["company_id"],))
    paid = {str(130 + n) for n, inv in enumerate(world["stack"].world().invoices) if inv["paid_date"]}
    assert rows and {r["invoice"] for r in rows} == paid
    for r in rows:
        assert r["invoice"] in r["applied_invoice_source_ids"].split(",")
        assert r["total_amount"] == r["invoice_total"] and r["client_id"] == r["invoice_client"] is not None


def test_every_person_holds_their_role(world: dict[str, Any]) -> None:
    db, company_id = world["db"], world["company_id"]
    roles = {r["name"] for r in db.query("SELECT name FROM roles WHERE company_id = %s AND deleted_at IS NULL",
                                         (company_id,))}
    people = world["stack"].world().people
    assert roles == {p["role"] for p in people}
    held = {(r["forecast_person_id"], r["name"]) for r in db.query(
        "SELECT m.forecast_person_id, r.name FROM team_member_roles tmr JOIN team_members m ON m.id = "
        "tmr.team_member_id JOIN roles r ON r.id = tmr.role_id WHERE tmr.company_id = %s AND tmr.deleted_at IS NULL",
        (company_id,))}
    assert held == {(p["forecast_person_id"], p["role"]) for p in people}


def test_a_qbo_invoice_deleted_through_cdc_is_soft_deleted_with_its_lines(
        world: dict[str, Any]) -> None:
    db, company_id, stack = world["db"], world["company_id"], world["stack"]
    victim = db.query("SELECT id, source_id FROM invoices WHERE company_id = %s AND source_system = 'qbo' "
                      "AND deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET 2", (company_id,))[0]
    stack.servers["qbo"].mutate(system="qbo", resource="Invoice", op="delete", id=victim["source_id"])
    forget_qbo_tokens(db, world["company"])
    spec = qbo.STREAMS["invoices"]
    run_stream(db, world["company"], qbo.VENDOR, spec, mode="incremental", log=quiet)
    run_id = f"test-{secrets.token_hex(4)}"
    reconcile_company(db, company_id, run_id=run_id, log=quiet)

    row = db.query("SELECT deleted_at FROM invoices WHERE id = %s", (victim["id"],))[0]
    assert row["deleted_at"] is not None
    assert count(world, "SELECT COUNT(*) AS n FROM invoice_lines WHERE company_id = %s AND deleted_at IS NULL "
                        f"AND invoice_id = {int(victim['id'])}") == 0
    logs = reconcile_logs(db, company_id, run_id)
    assert logs["invoices"]["deleted_count"] == 1 and logs["invoices"]["updated_count"] == 0
    assert logs["invoice_lines"]["deleted_count"] >= 1 and logs["invoice_lines"]["updated_count"] == 0
    assert count(world, "SELECT COUNT(*) AS n FROM invoices WHERE company_id = %s AND source_system = 'qbo' "
                        "AND deleted_at IS NULL") == world["truth"]["qbo"]["counts"]["Invoice"] - 1
