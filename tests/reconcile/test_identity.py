"""Identity resolution against a simulator world whose truth says who is who across the four systems."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from pipelines.reconcile.run import reconcile_company
from resources.mysql import Database
from simulators.stack import start_stack
from tests.reconcile.world_sync import (
    add_override,
    checksums,
    company_for,
    hours_by_project_month,
    links,
    open_conflicts,
    reconcile_logs,
    sync_all,
)
from tests.sim_sync import SIM_RATE_LIMIT_SCALE


def quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def world(migrated_db: Database) -> Iterator[dict[str, Any]]:
    """One tiny world synced in full, reconciled once; what the first run concluded is kept aside."""
    stack = start_stack(["acme"], rate_limit_scale=SIM_RATE_LIMIT_SCALE)
    try:
        stack.world().clock.control(freeze=stack.world().clock.iso())  # the running timer stops growing
        company = company_for(stack)
        company_id = sync_all(migrated_db, company)
        reconcile_company(migrated_db, company_id, log=quiet)
        yield {"db": migrated_db, "company_id": company_id, "truth": stack.truth(),
               "people": links(migrated_db, company_id, "person"),
               "clients": links(migrated_db, company_id, "client"),
               "projects": links(migrated_db, company_id, "project"),
               "unmatched": open_conflicts(migrated_db, company_id, "unmatched"),
               "ambiguous": open_conflicts(migrated_db, company_id, "ambiguous_match")}
    finally:
        stack.stop()


def person_sources(p: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = [("forecast", "person", str(p["forecast_person_id"]))]
    if p["harvest_user_id"]:
        out.append(("harvest", "user", str(p["harvest_user_id"])))
    if p["jira_account_id"] and not p["jira_email_hidden"]:
        out.append(("jira", "user", p["jira_account_id"]))
    if p["qbo_employee_id"]:
        out.append(("qbo", "employee", p["qbo_employee_id"]))
    if p["qbo_vendor_id"]:
        out.append(("qbo", "vendor", p["qbo_vendor_id"]))
    return out


def project_sources(p: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = [("forecast", "project", str(p["forecast_project_id"]))]
    if p["harvest_project_id"]:
        out.append(("harvest", "project", str(p["harvest_project_id"])))
    if p["qbo_customer_id"]:
        out.append(("qbo", "job", p["qbo_customer_id"]))
    if p["jira_project_id"]:
        out.append(("jira", "project", p["jira_project_id"]))
    return out


def client_sources(c: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [("harvest", "client", str(c["harvest_client_id"])), ("forecast", "client", str(c["forecast_client_id"])),
            ("qbo", "customer", c["qbo_customer_id"])]


def assert_one_entity_per_thing(found: dict[tuple[str, str, str], int],
                                things: list[list[tuple[str, str, str]]]) -> None:
    entities = []
    for sources in things:
        ids = {found.get(s) for s in sources}
        assert len(ids) == 1 and None not in ids, sources
        entities.append(ids.pop())
    assert len(set(entities)) == len(things)  # no two real-world things merged


def test_every_person_is_one_team_member_with_all_their_source_links(world: dict[str, Any]) -> None:
    truth, db = world["truth"], world["db"]
    assert_one_entity_per_thing(world["people"], [person_sources(p) for p in truth["people"]])
    members = db.query("SELECT id, email, harvest_user_id FROM team_members WHERE company_id = %s",
                       (world["company_id"],))
    assert len(members) == len(truth["people"])
    by_harvest = {m["harvest_user_id"]: m["email"] for m in members}
    for p in truth["people"]:
        if p["harvest_user_id"]:
            assert by_harvest[p["harvest_user_id"]] == p["email_normalized"]


def test_hidden_email_jira_users_are_listed_unmatched_and_not_linked(world: dict[str, Any]) -> None:
    hidden = {p["jira_account_id"] for p in world["truth"]["people"] if p["jira_email_hidden"]}
    assert hidden
    unmatched_jira = {c[3] for c in world["unmatched"] if c[:3] == ("person", "jira", "user")}
    assert hidden <= unmatched_jira
    assert not hidden & {k[2] for k in world["people"] if k[0] == "jira"}


def test_every_client_and_project_is_one_row_with_all_their_source_links(world: dict[str, Any]) -> None:
    truth = world["truth"]
    assert_one_entity_per_thing(world["clients"], [client_sources(c) for c in truth["clients"]])
    assert_one_entity_per_thing(world["projects"], [project_sources(p) for p in truth["projects"]])


def test_a_qbo_customer_whose_name_matches_two_records_is_ambiguous_not_merged(world: dict[str, Any]) -> None:
    truth = world["truth"]
    harvest_of = {c["client_key"]: ("harvest", "client", str(c["harvest_client_id"])) for c in truth["clients"]}
    for extra in truth["qbo_only_customers"]:
        assert ("client", "qbo", "customer", extra["qbo_customer_id"]) in world["ambiguous"]
        own = world["clients"][("qbo", "customer", extra["qbo_customer_id"])]
        assert own != world["clients"][harvest_of[extra["ambiguous_with"]]]


def test_names_that_differ_from_harvest_are_conflicts_not_applied(world: dict[str, Any]) -> None:
    db, company_id = world["db"], world["company_id"]
    rows = db.query("SELECT c.name, k.owning_value, k.other_value FROM sync_conflicts k "
                    "JOIN clients c ON c.id = k.entity_id WHERE k.company_id = %s AND k.kind = 'field_conflict' "
                    "AND k.entity_type = 'client' AND k.`system` = 'qbo' AND k.status = 'open'", (company_id,))
    differing = {c["names"]["harvest"]: c["names"]["qbo"] for c in world["truth"]["clients"] if c["qbo_name_differs"]}
    assert {r["name"]: r["other_value"] for r in rows} == differing
    assert all(r["name"] == r["owning_value"] for r in rows)


def test_override_rows_join_hidden_email_users_and_then_hours_match_the_truth(world: dict[str, Any]) -> None:
    db, company_id, truth = world["db"], world["company_id"], world["truth"]
    for p in truth["people"]:
        if p["jira_email_hidden"]:
            add_override(db, company_id, "person", ("jira", "user", p["jira_account_id"]), "link",
                         ("harvest", "user", str(p["harvest_user_id"])), note="hidden email in Jira")
    reconcile_company(db, company_id, log=quiet)
    people = links(db, company_id, "person")
    for p in truth["people"]:
        if p["jira_email_hidden"]:
            assert people[("jira", "user", p["jira_account_id"])] == people[("harvest", "user",
                                                                               str(p["harvest_user_id"]))]
    still = {c[3] for c in open_conflicts(db, company_id, "unmatched") if c[1] == "jira"}
    assert not still & {p["jira_account_id"] for p in truth["people"]}
    pairs = db.query("SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s AND duplicate_of_id IS NOT NULL",
                     (company_id,))[0]["n"]
    assert pairs == truth["duplicate_pair_count"]
    expected = {(h["harvest_project_id"], h["month"]): h["hours"] for h in truth["dedup_hours"]}
    assert hours_by_project_month(db, company_id) == expected


def test_an_unlink_override_separates_a_project_record_and_removing_it_rejoins(world: dict[str, Any]) -> None:
    db, company_id = world["db"], world["company_id"]
    project = world["truth"]["projects"][0]
    job = ("qbo", "job", project["qbo_customer_id"])
    harvest = ("harvest", "project", str(project["harvest_project_id"]))
    add_override(db, company_id, "project", job, "unlink", harvest, note="not the same job")
    reconcile_company(db, company_id, log=quiet)
    apart = links(db, company_id, "project")
    assert apart[job] != apart[harvest]
    db.execute("UPDATE identity_overrides SET deleted_at = UTC_TIMESTAMP(6) WHERE company_id = %s "
               "AND source_id = %s", (company_id, project["qbo_customer_id"]))
    reconcile_company(db, company_id, log=quiet)
    together = links(db, company_id, "project")
    assert together[job] == together[harvest]


def test_running_twice_changes_nothing_and_reports_zero_updates(world: dict[str, Any]) -> None:
    db, company_id = world["db"], world["company_id"]
    reconcile_company(db, company_id, log=quiet)
    before = checksums(db, company_id)
    assert [t for t, (rows, _digest) in before.items() if rows == 0] == []
    # Full: every staged row is read again, and every one is found unchanged.
    run_id = f"twice-{secrets.token_hex(4)}"
    reconcile_company(db, company_id, run_id=run_id, log=quiet, full=True)
    assert checksums(db, company_id) == before
    logs = reconcile_logs(db, company_id, run_id)
    assert {"clients", "projects", "team_members", "time_entries", "roles", "team_member_roles", "jira_issues",
            "invoices", "invoice_lines", "payments"} <= set(logs)
    assert {s: (r["status"], r["inserted_count"], r["updated_count"], r["deleted_count"]) for s, r in logs.items()} \
        == {s: ("completed", 0, 0, 0) for s in logs}
    assert logs["time_entries"]["unchanged_count"] == before["time_entries"][0]
    # Incremental with nothing staged since: no fact row is even read.
    run_id = f"thrice-{secrets.token_hex(4)}"
    reconcile_company(db, company_id, run_id=run_id, log=quiet)
    assert checksums(db, company_id) == before
    logs = reconcile_logs(db, company_id, run_id)
    assert {(r["status"], r["inserted_count"], r["updated_count"], r["deleted_count"]) for r in logs.values()} \
        == {("completed", 0, 0, 0)}
    assert logs["time_entries"]["records_processed"] == logs["time_entries"]["unchanged_count"] == 0
