"""Incremental fact merges: a reconcile reads only the rows staged since each merge's watermark, unless
something else the merge reads changed, and ends exactly where a full reconcile would.

All four vendors. This module has a database of its own because one test adds a CHECK constraint to
inject a failure. The tests build on each other's state and run in file order.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pymysql
import pytest
from dagster import DagsterInstance, materialize

from pipelines.assets import qbo
from pipelines.assets.factory import VendorSpec, run_stream
from pipelines.assets.reconcile import build_reconcile_asset
from pipelines.reconcile.merges import FACT_MERGES, MergePlan
from pipelines.reconcile.run import ReconcileOutcome, reconcile_company
from pipelines.reconcile.watermarks import sql_checksum
from resources.mysql import MySQLResource
from resources.sql import load_sql
from resources.staging import StagingWriter
from resources.sync_log import SyncLogs
from tests.conftest import ROOT_SETTINGS
from tests.reconcile.world_sync import (
    VENDORS,
    add_override,
    checksums,
    forget_qbo_tokens,
    quiet,
    reconcile_logs,
    world_in_own_database,
)

HARVEST, FORECAST = VENDORS[0], VENDORS[1]
COUNTS = ("records_processed", "inserted_count", "updated_count", "deleted_count", "unchanged_count")


@pytest.fixture(scope="module")
def setup() -> Iterator[dict[str, Any]]:
    with world_in_own_database() as world:
        first = reconcile_company(world["db"], world["company_id"], log=quiet)
        assert {p.reason for p in first.plans.values()} == {"no watermark yet"}
        yield world


def resync(setup: dict[str, Any], vendor: VendorSpec, stream: str, mode: str = "full") -> None:
    forget_qbo_tokens(setup["db"], setup["company"])
    spec = next(s for s in vendor.streams if s.name == stream)
    run_stream(setup["db"], setup["company"], vendor, spec, mode=mode, log=quiet)


def reconcile(setup: dict[str, Any], full: bool = False) -> tuple[dict[str, dict[str, Any]], ReconcileOutcome]:
    run_id = f"test-{secrets.token_hex(4)}"
    outcome = reconcile_company(setup["db"], setup["company_id"], run_id=run_id, log=quiet, full=full)
    return reconcile_logs(setup["db"], setup["company_id"], run_id), outcome


def counts(log: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(log[c]) for c in COUNTS)


def watermarks(setup: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = setup["db"].query("SELECT * FROM merge_watermarks WHERE company_id = %s", (setup["company_id"],))
    return {r["merge_name"]: r for r in rows}


def staged_since(setup: dict[str, Any], table: str, since: int, key: str = "id") -> set[Any]:
    rows = setup["db"].query(f"SELECT {key} AS k FROM {table} WHERE company_id = %s AND sync_log_id >= %s",
                             (setup["company_id"], since))
    return {r["k"] for r in rows}


def count(setup: dict[str, Any], sql: str) -> int:
    return int(setup["db"].query(sql, (setup["company_id"],))[0]["n"])


def plain_entries(setup: dict[str, Any], n: int, offset: int) -> list[dict[str, Any]]:
    """Live, stopped Harvest entries without a Jira reference: changing one changes no worklog's pairing."""
    return setup["db"].query(
        "SELECT * FROM time_entries WHERE company_id = %s AND source_system = 'harvest' AND is_running = 0 "
        "AND jira_issue_source_id IS NULL AND deleted_at IS NULL ORDER BY id LIMIT %s OFFSET %s",
        (setup["company_id"], n, offset))


def time_entry_rows(setup: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rows = setup["db"].query("SELECT * FROM time_entries WHERE company_id = %s", (setup["company_id"],))
    return {r["id"]: r for r in rows}


def links_of(setup: dict[str, Any]) -> list[dict[str, Any]]:
    """The crosswalk as the merges see it (a link's source_updated_at moves with its record; nothing reads it)."""
    return setup["db"].query("SELECT id, entity_id, is_primary, match_rule, updated_at, deleted_at FROM source_links "
                             "WHERE company_id = %s ORDER BY id", (setup["company_id"],))


def worklog_count(setup: dict[str, Any]) -> int:
    return count(setup, "SELECT COUNT(*) AS n FROM staging_jira_worklogs WHERE company_id = %s")


def assert_a_full_reconcile_changes_nothing(setup: dict[str, Any]) -> None:
    before = checksums(setup["db"], setup["company_id"])
    logs, outcome = reconcile(setup, full=True)
    assert all(plan.full for plan in outcome.plans.values())
    assert checksums(setup["db"], setup["company_id"]) == before
    assert {s: counts(r)[1:4] for s, r in logs.items()} == {s: (0, 0, 0) for s in logs}


def test_every_table_a_fact_merge_reads_is_declared() -> None:
    """An undeclared table would go unwatched: a change to it would never make the merge run full."""
    by_sql = {m.sql: m for m in FACT_MERGES}
    for merge in FACT_MERGES:
        text = "\n".join(load_sql(f"merge/{name}") for name in (*merge.before, merge.sql, *merge.after))
        # Lookup tables its `before` files build are read from what those files read.
        built = set(re.findall(r"CREATE TEMPORARY TABLE\s+([a-z_]+)", text))
        read = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", text)) - built
        declared = {merge.table, merge.driver, *merge.reads, *merge.reads_staging,
                    *(by_sql[name].table for name in merge.full_with)}
        assert read <= declared, (merge.sql, read - declared)
        assert all(name in by_sql and FACT_MERGES.index(by_sql[name]) < FACT_MERGES.index(merge)
                   for name in merge.full_with)


def test_an_incremental_reconcile_reads_only_the_re_staged_entries_and_updates_exactly_those(
        setup: dict[str, Any]) -> None:
    world = setup["stack"].world()
    picked = plain_entries(setup, 3, offset=5)
    before = time_entry_rows(setup)
    for k, entry in enumerate(picked):
        world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                     fields={"hours": 5.5 + k})
    since = watermarks(setup)["merge_time_entries_harvest"]["next_sync_log_id"]
    resync(setup, HARVEST, "time_entries")
    assert staged_since(setup, "staging_harvest_time_entries", since) == {int(e["source_id"]) for e in picked}

    logs, outcome = reconcile(setup)
    plans = outcome.plans
    assert plans["merge_time_entries_harvest"] == plans["merge_time_entries_qbo"] == MergePlan(full=False,
                                                                                                since=since)
    # Worklogs pair with Harvest entries: the worklog merge follows the re-staged entries to their issues, and
    # entries without a Jira reference have none, so it reads no worklog.
    assert plans["merge_time_entries_jira"] == MergePlan(
        full=False, since=since, narrowed=("time_entries", "staging_harvest_time_entries"))
    assert counts(logs["time_entries"]) == (3, 0, 3, 0, 0)
    after = time_entry_rows(setup)
    assert {i for i in after if after[i] != before[i]} == {e["id"] for e in picked}
    assert [float(after[e["id"]]["hours"]) for e in picked] == [5.5, 6.5, 7.5]
    assert all(watermarks(setup)[m.name]["next_sync_log_id"] > since for m in FACT_MERGES)


def test_a_changed_time_activity_is_the_one_time_entry_a_reconcile_considers(setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    activity = db.query("SELECT source_id FROM time_entries WHERE company_id = %s AND source_system = 'qbo' "
                        "AND deleted_at IS NULL ORDER BY id LIMIT 1", (company_id,))[0]["source_id"]
    setup["stack"].world().mutate(system="qbo", resource="TimeActivity", op="update", id=activity,
                                  fields={"Description": "Re-described"})
    since = watermarks(setup)["merge_time_entries_qbo"]["next_sync_log_id"]
    resync(setup, qbo.VENDOR, "time_activities", mode="incremental")
    restaged = staged_since(setup, "staging_qbo_time_activities", since, key="qbo_id")
    assert activity in restaged  # with what the incremental overlap re-read

    logs, outcome = reconcile(setup)
    assert not any(plan.full for plan in outcome.plans.values())
    assert counts(logs["time_entries"]) == (len(restaged), 0, 1, 0, len(restaged) - 1)
    assert counts(logs["invoices"]) == counts(logs["payments"]) == (0, 0, 0, 0, 0)
    assert db.query("SELECT notes FROM time_entries WHERE company_id = %s AND source_system = 'qbo' "
                    "AND source_id = %s", (company_id, activity))[0]["notes"] == "Re-described"


def test_a_changed_worklog_re_merges_the_worklogs_of_its_issue_and_their_pairs(setup: dict[str, Any]) -> None:
    db, company_id, jira = setup["db"], setup["company_id"], setup["stack"].servers["jira"]
    worklog = db.query("SELECT source_id, jira_issue_source_id FROM time_entries WHERE company_id = %s "
                       "AND source_system = 'jira' AND duplicate_of_id IS NOT NULL AND deleted_at IS NULL "
                       "ORDER BY id LIMIT 1", (company_id,))[0]
    jira.mutate(system="jira", resource="config", op="configure", fields={"lag_seconds": 0})
    jira.mutate(system="jira", resource="worklogs", op="update", id=worklog["source_id"], fields={"seconds": 1234})
    since = watermarks(setup)["merge_time_entries_jira"]["next_sync_log_id"]
    resync(setup, VENDORS[3], "worklogs", mode="incremental")
    restaged = staged_since(setup, "staging_jira_worklogs", since, key="worklog_id")
    assert worklog["source_id"] in restaged

    logs, outcome = reconcile(setup)
    assert outcome.plans["merge_time_entries_jira"] == MergePlan(full=False, since=since)
    # Worklogs of one issue are paired together: the merge reads every worklog of the re-staged ones' issues.
    issues = {r["issue_id"] for r in db.query(
        "SELECT issue_id FROM staging_jira_worklogs WHERE company_id = %s AND worklog_id IN %s",
        (company_id, list(restaged)))}
    considered = count(setup, "SELECT COUNT(*) AS n FROM staging_jira_worklogs WHERE company_id = %s "
                              f"AND issue_id IN ({', '.join(repr(i) for i in issues)})")
    assert considered > len(restaged)
    assert logs["time_entries"]["records_processed"] == considered
    assert logs["time_entries"]["updated_count"] >= 1
    row = db.query("SELECT hours, duplicate_of_id FROM time_entries WHERE company_id = %s AND source_system = 'jira' "
                   "AND source_id = %s", (company_id, worklog["source_id"]))[0]
    assert (float(row["hours"]), row["duplicate_of_id"]) == (round(1234 / 3600, 4), None)
    assert_a_full_reconcile_changes_nothing(setup)


def test_deletes_by_window_sweep_and_by_cdc_tombstone_are_applied_incrementally(setup: dict[str, Any]) -> None:
    db, company_id, stack = setup["db"], setup["company_id"], setup["stack"]
    entry = plain_entries(setup, 1, offset=40)[0]
    stack.world().mutate(system="harvest", resource="time_entries", op="delete", id=entry["source_id"])
    resync(setup, HARVEST, "time_entries")  # a complete re-list: the sweep marks the missing entry deleted
    invoice = db.query("SELECT id, source_id FROM invoices WHERE company_id = %s AND source_system = 'qbo' "
                       "AND deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET 1", (company_id,))[0]
    lines = count(setup, "SELECT COUNT(*) AS n FROM invoice_lines WHERE company_id = %s AND deleted_at IS NULL "
                         f"AND invoice_id = {int(invoice['id'])}")
    stack.servers["qbo"].mutate(system="qbo", resource="Invoice", op="delete", id=invoice["source_id"])
    since = watermarks(setup)["merge_invoices_qbo"]["next_sync_log_id"]
    resync(setup, qbo.VENDOR, "invoices", mode="incremental")  # CDC: a tombstone
    restaged = staged_since(setup, "staging_qbo_invoices", since, key="qbo_id")
    assert invoice["source_id"] in restaged

    logs, outcome = reconcile(setup)
    for name in ("merge_time_entries_harvest", "merge_invoices_qbo", "merge_invoice_lines_qbo"):
        assert not outcome.plans[name].full, name
    # Only a new invoice row can re-point payments that were not re-staged; a deleted one re-points none.
    assert outcome.plans["merge_payments_qbo"].narrowed == ("invoices",)
    assert counts(logs["payments"])[0] == len(staged_since(setup, "staging_qbo_payments", since, key="qbo_id"))
    assert counts(logs["time_entries"]) == (1, 0, 0, 1, 0)
    assert db.query("SELECT deleted_at FROM time_entries WHERE id = %s", (entry["id"],))[0]["deleted_at"]
    assert counts(logs["invoices"]) == (len(restaged), 0, 0, 1, len(restaged) - 1)
    assert db.query("SELECT deleted_at FROM invoices WHERE id = %s", (invoice["id"],))[0]["deleted_at"]
    assert lines > 0 and logs["invoice_lines"]["deleted_count"] == lines
    assert count(setup, "SELECT COUNT(*) AS n FROM invoice_lines WHERE company_id = %s AND deleted_at IS NULL "
                        f"AND invoice_id = {int(invoice['id'])}") == 0


def test_an_identity_override_re_merges_the_facts_of_the_people_it_moves_and_updates_every_affected_worklog(
        setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    hidden = [p for p in setup["stack"].truth()["people"] if p["jira_email_hidden"] and p["harvest_user_id"]]
    assert hidden
    for p in hidden:
        add_override(db, company_id, "person", ("jira", "user", p["jira_account_id"]), "link",
                     ("harvest", "user", str(p["harvest_user_id"])), note="hidden email in Jira")

    logs, outcome = reconcile(setup)
    for merge in FACT_MERGES:  # the links changed; no merge needs to read everything for that
        assert not outcome.plans[merge.name].full, merge.name
    assert outcome.plans["merge_time_entries_harvest"].narrowed == ("source_links",)
    assert "source_links" in outcome.plans["merge_time_entries_jira"].narrowed
    harvest_users = {r["source_id"]: r["entity_id"] for r in db.query(
        "SELECT source_id, entity_id FROM source_links WHERE company_id = %s AND entity_type = 'person' "
        "AND `system` = 'harvest' AND source_type = 'user'", (company_id,))}
    member_of = {p["jira_account_id"]: harvest_users[str(p["harvest_user_id"])] for p in hidden}
    theirs = db.query("SELECT w.author_account_id, t.team_member_id FROM staging_jira_worklogs w "
                      "JOIN time_entries t ON t.company_id = w.company_id AND t.source_system = 'jira' "
                      "AND t.source_id = w.worklog_id WHERE w.company_id = %s AND w.author_account_id IN %s",
                      (company_id, list(member_of)))
    assert theirs and all(r["team_member_id"] == member_of[r["author_account_id"]] for r in theirs)
    assert logs["time_entries"]["updated_count"] >= len(theirs)
    # The worklog merge read the worklogs of the issues their worklogs are on, no others.
    issues = {r["issue_id"] for r in db.query(
        "SELECT DISTINCT issue_id FROM staging_jira_worklogs WHERE company_id = %s AND author_account_id IN %s",
        (company_id, list(member_of)))}
    assert logs["time_entries"]["records_processed"] >= count(
        setup, "SELECT COUNT(*) AS n FROM staging_jira_worklogs WHERE company_id = %s "
               f"AND issue_id IN ({', '.join(repr(i) for i in issues)})")
    assert logs["time_entries"]["records_processed"] < count(
        setup, "SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s")
    assert_a_full_reconcile_changes_nothing(setup)


def test_a_project_moved_to_another_client_re_merges_its_facts_and_its_entries_follow(
        setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    # Moved in Harvest and in QuickBooks alike, from a client with other jobs: no source link changes.
    with_jobs = ("SELECT c.id, c.harvest_client_id, c.qbo_customer_id, c.name FROM clients c WHERE c.company_id = %s "
                 "AND c.harvest_client_id IS NOT NULL AND (SELECT COUNT(*) FROM projects j WHERE j.client_id = c.id "
                 "AND j.qbo_customer_id IS NOT NULL AND j.harvest_project_id IS NOT NULL) >= {} ORDER BY c.id")
    old = db.query(with_jobs.format(2), (company_id,))[0]
    new = next(c for c in db.query(with_jobs.format(1), (company_id,)) if c["id"] != old["id"])
    project = db.query("SELECT id, harvest_project_id, qbo_customer_id FROM projects WHERE company_id = %s "
                       "AND client_id = %s AND qbo_customer_id IS NOT NULL AND harvest_project_id IS NOT NULL "
                       "ORDER BY id LIMIT 1", (company_id, old["id"]))[0]
    world.mutate(system="harvest", resource="projects", op="update", id=project["harvest_project_id"],
                 fields={"client": {"id": new["harvest_client_id"], "name": new["name"], "currency": "USD"}})
    world.mutate(system="qbo", resource="Customer", op="update", id=project["qbo_customer_id"],
                 fields={"ParentRef": {"value": new["qbo_customer_id"]}})
    resync(setup, HARVEST, "projects")
    resync(setup, qbo.VENDOR, "customers")
    links = links_of(setup)

    logs, outcome = reconcile(setup)
    assert links_of(setup) == links
    assert counts(logs["projects"])[2] == 1
    for name in ("merge_time_entries_harvest", "merge_time_entries_qbo", "merge_project_assignments",
                 "merge_time_entries_jira"):
        assert not outcome.plans[name].full and "projects" in outcome.plans[name].narrowed, name
    assert not outcome.plans["merge_jira_issues"].full and not outcome.plans["merge_invoices_qbo"].full
    entries = db.query("SELECT client_id, updated_at FROM time_entries WHERE company_id = %s AND project_id = %s",
                       (company_id, project["id"]))
    assert entries and {e["client_id"] for e in entries} == {new["id"]}
    assert len({e["updated_at"] for e in entries}) == 1  # every one of them written by this run
    assert logs["time_entries"]["updated_count"] == len(entries)
    assert_a_full_reconcile_changes_nothing(setup)


def test_a_failed_reconcile_leaves_the_watermarks_and_a_retry_still_reads_what_it_missed(
        setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    entry = plain_entries(setup, 1, offset=60)[0]
    setup["stack"].world().mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                                  fields={"notes": "inject failure"})
    resync(setup, HARVEST, "time_entries")
    marks, before = watermarks(setup), checksums(db, company_id)
    db.execute("ALTER TABLE time_entries ADD CONSTRAINT ck_injected CHECK (notes IS NULL OR notes <> 'inject failure')")
    try:
        with pytest.raises(pymysql.MySQLError):
            reconcile(setup)
    finally:
        db.execute("ALTER TABLE time_entries DROP CONSTRAINT ck_injected")
    assert watermarks(setup) == marks
    assert checksums(db, company_id) == before

    logs, outcome = reconcile(setup)
    harvest = outcome.plans["merge_time_entries_harvest"]
    assert harvest == MergePlan(full=False, since=marks["merge_time_entries_harvest"]["next_sync_log_id"])
    assert logs["time_entries"]["updated_count"] == 1
    assert db.query("SELECT notes FROM time_entries WHERE id = %s", (entry["id"],))[0]["notes"] == "inject failure"
    assert all(row["next_sync_log_id"] > marks[name]["next_sync_log_id"] for name, row in watermarks(setup).items())


def test_a_merge_without_a_watermark_or_whose_sql_changed_runs_full_alone(setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    db.execute("DELETE FROM merge_watermarks WHERE company_id = %s AND merge_name = 'merge_jira_issues'",
               (company_id,))
    db.execute("UPDATE merge_watermarks SET sql_checksum = REPEAT('0', 64) WHERE company_id = %s "
               "AND merge_name = 'merge_project_assignments'", (company_id,))
    _logs, outcome = reconcile(setup)
    full = {name: plan.reason for name, plan in outcome.plans.items() if plan.full}
    assert full == {"merge_jira_issues": "no watermark yet", "merge_project_assignments": "merge SQL changed"}
    marks = watermarks(setup)
    assert {name: row["sql_checksum"] for name, row in marks.items()} == {m.name: sql_checksum(m) for m in FACT_MERGES}
    assert {row["last_mode"] for name, row in marks.items() if name not in full} == {"incremental"}


def test_incremental_reconciles_end_where_a_forced_full_reconcile_does(setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    for k, entry in enumerate(plain_entries(setup, 4, offset=80)):
        world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                     fields={"hours": 1.25 + k, "notes": f"edit {k}"})
    paired = db.query("SELECT source_id FROM time_entries WHERE company_id = %s AND source_system = 'harvest' "
                      "AND is_running = 0 AND deleted_at IS NULL AND id IN (SELECT duplicate_of_id FROM time_entries "
                      "WHERE company_id = %s) ORDER BY id LIMIT 1", (company_id, company_id))
    assert paired
    for entry in paired:  # unpairs a worklog: its row changes although it was not re-staged
        world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                     fields={"hours": 9.75})
    assignment = db.query("SELECT forecast_assignment_id FROM project_assignments WHERE company_id = %s "
                          "AND deleted_at IS NULL ORDER BY id LIMIT 1", (company_id,))[0]
    world.mutate(system="forecast", resource="assignments", op="update", id=assignment["forecast_assignment_id"],
                 fields={"notes": "moved around"})
    resync(setup, HARVEST, "time_entries")
    resync(setup, FORECAST, "assignments")
    logs, outcome = reconcile(setup)
    assert not outcome.plans["merge_time_entries_harvest"].full
    assert not outcome.plans["merge_project_assignments"].full
    assert counts(logs["project_assignments"]) == (1, 0, 1, 0, 0)
    assert logs["time_entries"]["updated_count"] >= 4 + 2 * len(paired)
    assert_a_full_reconcile_changes_nothing(setup)


def test_the_reconcile_asset_runs_every_merge_full_when_configured_to(setup: dict[str, Any]) -> None:
    db, company = setup["db"], setup["company"]
    asset = build_reconcile_asset(company, list(VENDORS))
    s = ROOT_SETTINGS
    mysql = MySQLResource(host=s.host, port=s.port, user=s.user, password=s.password, database=db.name)
    for full, expected in ((True, 0), (False, len(FACT_MERGES))):
        with DagsterInstance.ephemeral() as instance:
            result = materialize([asset], instance=instance, resources={"mysql": mysql},
                                 run_config={"ops": {asset.op.name: {"config": {"full": full}}}})
        metadata = result.asset_materializations_for_node(asset.op.name)[0].metadata
        assert metadata["incremental_merges"].value == expected


def test_rows_of_a_staging_run_still_running_at_reconcile_start_are_read_by_the_next_reconcile(
        setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    entry = plain_entries(setup, 1, offset=100)[0]
    run = SyncLogs(db).start(company_id=company_id, system_name="harvest", stream="time_entries",
                             sync_type="incremental")
    reconcile(setup)
    assert {row["next_sync_log_id"] for row in watermarks(setup).values()} == {run.id}

    # The run stages its rows after the reconcile began (or the reconcile could not see them yet).
    staged = db.query("SELECT raw_json, source_updated_at FROM staging_harvest_time_entries WHERE company_id = %s "
                      "AND id = %s", (company_id, int(entry["source_id"])))[0]
    newer = {**json.loads(staged["raw_json"]), "hours": 3.25,
             "updated_at": (staged["source_updated_at"] + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    table = next(s.table for s in HARVEST.streams if s.name == "time_entries")
    with StagingWriter(db, table, company_id, run.id) as writer:
        writer.add([newer])
    SyncLogs(db).complete(run)

    logs, outcome = reconcile(setup)
    assert outcome.plans["merge_time_entries_harvest"] == MergePlan(full=False, since=run.id)
    assert logs["time_entries"]["updated_count"] == 1
    assert float(db.query("SELECT hours FROM time_entries WHERE id = %s", (entry["id"],))[0]["hours"]) == 3.25
    assert all(row["next_sync_log_id"] > run.id for row in watermarks(setup).values())
