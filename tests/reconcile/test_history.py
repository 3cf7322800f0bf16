"""The history of time and money: versions of time entries, invoices and payments, written by the reconcile.

A Harvest + QBO simulator world in a database of its own (expiry deletes across companies, and one test
stages a stale record). Vendor records are changed in the simulators and re-synced through the real
extraction code, then reconciled, as in test_changes.py. Tests run in file order: the expiry tests last.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pymysql
import pytest

from pipelines.assets import qbo
from pipelines.assets.factory import run_stream
from pipelines.maintenance import cmd_maintain
from pipelines.reconcile.grants import grant_analyst, revoke_analyst
from pipelines.reconcile.history import expire_versions
from pipelines.reconcile.run import reconcile_company
from resources.analyst_schema import analyst_schema_name, refresh_analyst_schema
from resources.staging import StagingWriter
from tests.conftest import ROOT_SETTINGS, db_env, drop_database
from tests.reconcile.world_sync import VENDORS, forget_qbo_tokens, quiet, reconcile_logs, world_in_own_database

HARVEST, QBO = VENDORS[0], VENDORS[2]
VERSIONS = ("time_entry_versions", "invoice_versions", "payment_versions")
SIGNAL = 1644  # a trigger's SIGNAL SQLSTATE '45000'


@pytest.fixture(scope="module")
def setup() -> Iterator[dict[str, Any]]:
    with world_in_own_database((HARVEST, QBO)) as world:
        reconcile_company(world["db"], world["company_id"], log=quiet)
        yield world
        drop_database(analyst_schema_name(world["db"].name))


def resync_harvest(setup: dict[str, Any], stream: str = "time_entries") -> None:
    spec = next(s for s in HARVEST.streams if s.name == stream)
    run_stream(setup["db"], setup["company"], HARVEST, spec, mode="full", log=quiet)


def resync_qbo_invoices(setup: dict[str, Any]) -> None:
    forget_qbo_tokens(setup["db"], setup["company"])
    run_stream(setup["db"], setup["company"], qbo.VENDOR, qbo.STREAMS["invoices"], mode="full", log=quiet)


def reconcile(setup: dict[str, Any], full: bool = False) -> dict[str, dict[str, Any]]:
    run_id = f"test-{secrets.token_hex(4)}"
    reconcile_company(setup["db"], setup["company_id"], run_id=run_id, log=quiet, full=full)
    return reconcile_logs(setup["db"], setup["company_id"], run_id)


def harvest_entry(setup: dict[str, Any], offset: int, invoiced: int) -> dict[str, Any]:
    return setup["db"].query(
        "SELECT * FROM time_entries WHERE company_id = %s AND source_system = 'harvest' AND is_running = 0 "
        "AND deleted_at IS NULL AND is_invoiced = %s ORDER BY id LIMIT 1 OFFSET %s",
        (setup["company_id"], invoiced, offset))[0]


def history(setup: dict[str, Any], entry_id: int) -> list[dict[str, Any]]:
    return setup["db"].query("SELECT * FROM v_time_entry_history WHERE company_id = %s AND time_entry_id = %s "
                             "ORDER BY version", (setup["company_id"], entry_id))


def version_counts(setup: dict[str, Any]) -> dict[str, int]:
    return {t: int(setup["db"].query(f"SELECT COUNT(*) AS n FROM {t} WHERE company_id = %s",  # noqa: S608
                                     (setup["company_id"],))[0]["n"]) for t in VERSIONS}


def changed_after_invoiced(setup: dict[str, Any], record_type: str, record_id: int) -> list[dict[str, Any]]:
    return setup["db"].query(
        "SELECT version, field_name, value_before, value_after, changed_after, changed_at, sync_log_id "
        "FROM v_changed_after_invoiced WHERE company_id = %s AND record_type = %s AND record_id = %s "
        "ORDER BY version, field_name", (setup["company_id"], record_type, record_id))


def monthly_hours(setup: dict[str, Any], view: str, as_of: datetime | None = None) -> dict[tuple[Any, str], Any]:
    """(project_id, month) -> hours from `view`, read in one session with @timesync_as_of set to `as_of`."""
    def work(conn: pymysql.connections.Connection) -> dict[tuple[Any, str], Any]:
        with conn.cursor() as cur:
            cur.execute("SET @timesync_as_of = %s", (as_of,))
            cur.execute(f"SELECT project_id, month, hours FROM {view} WHERE company_id = %s",  # noqa: S608
                        (setup["company_id"],))
            out = {(p, m): h for p, m, h in cur.fetchall()}
            cur.execute("SET @timesync_as_of = NULL")
        return out

    return setup["db"].run(work)


def test_first_reconcile_wrote_version_1_of_every_row(setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    for table, versions in zip(("time_entries", "invoices", "payments"), VERSIONS, strict=True):
        rows = db.query(f"SELECT COUNT(*) AS n FROM {table} WHERE company_id = %s", (company_id,))[0]["n"]  # noqa: S608
        kinds = db.query(f"SELECT change_kind, COUNT(*) AS n, MIN(sync_log_id) AS log FROM {versions} "  # noqa: S608
                         "WHERE company_id = %s GROUP BY change_kind", (company_id,))
        assert rows and [(k["change_kind"], k["n"]) for k in kinds] == [("created", rows)], table
        assert kinds[0]["log"] is not None
    # Harvest's is_locked (raw_json only) reached the versions: invoiced entries are locked in Harvest.
    locked = db.query("SELECT is_invoiced, MIN(is_locked) AS lo, MAX(is_locked) AS hi FROM time_entry_versions "
                      "WHERE company_id = %s AND source_system = 'harvest' GROUP BY is_invoiced", (company_id,))
    assert {(r["is_invoiced"], r["lo"], r["hi"]) for r in locked} == {(1, 1, 1), (0, 0, 1)}


def test_no_change_rerun_adds_no_version(setup: dict[str, Any]) -> None:
    before = version_counts(setup)
    reconcile(setup)
    reconcile(setup, full=True)
    assert version_counts(setup) == before


def test_an_entry_edited_twice_after_invoicing_has_three_versions_and_both_changes_are_flagged(
        setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    entry = harvest_entry(setup, 3, invoiced=1)
    other = db.query("SELECT id, harvest_project_id FROM projects WHERE company_id = %s AND harvest_project_id "
                     "IS NOT NULL AND id <> %s ORDER BY id LIMIT 1", (company_id, entry["project_id"]))[0]
    world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                 fields={"hours": 7.75})
    resync_harvest(setup)
    first = reconcile(setup)
    new_date = entry["spent_date"] + timedelta(days=1)
    world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                 fields={"spent_date": new_date.isoformat(), "project_id": other["harvest_project_id"]})
    resync_harvest(setup)
    second = reconcile(setup)

    versions = history(setup, entry["id"])
    assert [(v["version"], v["change_kind"]) for v in versions] == [(1, "created"), (2, "updated"), (3, "updated")]
    assert [float(v["hours"]) for v in versions] == [float(entry["hours"]), 7.75, 7.75]
    assert versions[2]["spent_date"] == new_date and versions[2]["project_id"] == other["id"]
    assert [v["sync_log_id"] for v in versions[1:]] == [first["time_entries"]["id"], second["time_entries"]["id"]]
    # valid_to is the next version's valid_from; the current version has none.
    assert [v["valid_to"] for v in versions] == [versions[1]["valid_from"], versions[2]["valid_from"], None]

    flagged = changed_after_invoiced(setup, "time_entry", entry["id"])
    assert [(f["version"], f["field_name"], f["value_before"], f["value_after"], f["changed_after"]) for f in flagged] \
        == [(2, "hours", f"{entry['hours']:.4f}", "7.7500", "invoiced"),
            (3, "project_id", str(entry["project_id"]), str(other["id"]), "invoiced"),
            (3, "spent_date", entry["spent_date"].isoformat(), new_date.isoformat(), "invoiced")]
    assert [f["changed_at"] for f in flagged] == [versions[1]["valid_from"], versions[2]["valid_from"],
                                                  versions[2]["valid_from"]]
    assert [f["sync_log_id"] for f in flagged] == [versions[1]["sync_log_id"], *[versions[2]["sync_log_id"]] * 2]


def test_a_locked_entry_changed_is_flagged_and_an_open_one_is_not(setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    rows = db.query("SELECT t.id, t.source_id, v.is_locked FROM time_entries t JOIN time_entry_versions v "
                    "ON v.company_id = t.company_id AND v.time_entry_id = t.id AND v.version = 1 "
                    "WHERE t.company_id = %s AND t.source_system = 'harvest' AND t.is_invoiced = 0 "
                    "AND t.is_running = 0 AND t.deleted_at IS NULL ORDER BY t.id", (company_id,))
    locked = next(r for r in rows if r["is_locked"] == 1)
    unlocked = next(r for r in rows if r["is_locked"] == 0)
    for r in (locked, unlocked):
        world.mutate(system="harvest", resource="time_entries", op="update", id=r["source_id"],
                     fields={"hours": 5.5})
    resync_harvest(setup)
    reconcile(setup)
    assert [(f["field_name"], f["value_after"], f["changed_after"])
            for f in changed_after_invoiced(setup, "time_entry", locked["id"])] == [("hours", "5.5000", "locked")]
    assert changed_after_invoiced(setup, "time_entry", unlocked["id"]) == []
    assert len(history(setup, unlocked["id"])) == 2


def test_delete_then_revive_gives_created_deleted_revived(setup: dict[str, Any]) -> None:
    db, world = setup["db"], setup["stack"].world()
    entry = harvest_entry(setup, 12, invoiced=0)
    world.mutate(system="harvest", resource="time_entries", op="delete", id=entry["source_id"])
    resync_harvest(setup)
    reconcile(setup)
    world.overlay("harvest", "time_entries").deleted.discard(int(entry["source_id"]))
    resync_harvest(setup)
    reconcile(setup)
    versions = history(setup, entry["id"])
    assert [v["change_kind"] for v in versions] == ["created", "deleted", "revived"]
    assert [v["deleted_at"] is None for v in versions] == [True, False, True]
    assert float(versions[2]["hours"]) == float(entry["hours"])
    assert db.query("SELECT deleted_at FROM time_entries WHERE id = %s", (entry["id"],))[0]["deleted_at"] is None


def test_an_older_staged_version_never_becomes_current_nor_a_version(setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    entry = harvest_entry(setup, 20, invoiced=0)
    world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                 fields={"hours": 6.25})
    resync_harvest(setup)
    reconcile(setup)
    assert [float(v["hours"]) for v in history(setup, entry["id"])] == [float(entry["hours"]), 6.25]

    staged = db.query("SELECT raw_json, sync_log_id FROM staging_harvest_time_entries WHERE company_id = %s "
                      "AND id = %s", (company_id, int(entry["source_id"])))[0]
    older = {**json.loads(staged["raw_json"]), "hours": 1.0, "updated_at": "2020-01-02T03:04:05Z"}
    table = next(s.table for s in HARVEST.streams if s.name == "time_entries")
    with StagingWriter(db, table, company_id, staged["sync_log_id"]) as writer:
        writer.add([older])
    before = version_counts(setup)
    reconcile(setup, full=True)  # full: the stale record sits under an old sync_log_id
    assert version_counts(setup) == before
    versions = history(setup, entry["id"])
    assert [float(v["hours"]) for v in versions] == [float(entry["hours"]), 6.25] and versions[-1]["valid_to"] is None
    assert float(db.query("SELECT hours FROM time_entries WHERE id = %s", (entry["id"],))[0]["hours"]) == 6.25


def test_an_invoice_amount_changed_after_a_payment_is_flagged_and_an_unpaid_one_is_not(
        setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    paid = db.query("SELECT i.id, i.source_id, i.total_amount FROM invoices i WHERE i.company_id = %s "
                    "AND i.source_system = 'qbo' AND EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id) "
                    "ORDER BY i.id LIMIT 1", (company_id,))[0]
    unpaid = db.query("SELECT i.id, i.source_id, i.total_amount FROM invoices i WHERE i.company_id = %s "
                      "AND i.source_system = 'qbo' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.company_id = "
                      "i.company_id AND FIND_IN_SET(i.source_id, p.applied_invoice_source_ids)) ORDER BY i.id "
                      "LIMIT 1", (company_id,))[0]
    qbo_sim = setup["stack"].servers["qbo"]
    for inv in (paid, unpaid):
        qbo_sim.mutate(system="qbo", resource="Invoice", op="update", id=inv["source_id"],
                       fields={"TotalAmt": float(inv["total_amount"]) + 100})
    resync_qbo_invoices(setup)
    logs = reconcile(setup)

    flagged = changed_after_invoiced(setup, "invoice", paid["id"])
    assert [(f["version"], f["field_name"], f["value_before"], f["value_after"], f["changed_after"]) for f in flagged] \
        == [(2, "total_amount", f"{paid['total_amount']:.2f}", f"{paid['total_amount'] + 100:.2f}", "paid")]
    assert flagged[0]["sync_log_id"] == logs["invoices"]["id"]
    assert changed_after_invoiced(setup, "invoice", unpaid["id"]) == []
    kinds = db.query("SELECT change_kind, valid_to FROM v_invoice_history WHERE company_id = %s AND invoice_id = %s "
                     "ORDER BY version", (company_id, unpaid["id"]))
    assert [k["change_kind"] for k in kinds] == ["created", "updated"] and kinds[1]["valid_to"] is None


def test_hours_as_of_a_moment_before_and_after_an_edit(setup: dict[str, Any]) -> None:
    db, world = setup["db"], setup["stack"].world()
    assert monthly_hours(setup, "v_project_hours_monthly_as_of") == monthly_hours(setup, "v_project_hours_monthly")
    entry = harvest_entry(setup, 30, invoiced=0)
    key = (entry["project_id"], entry["spent_date"].strftime("%Y-%m"))
    before = monthly_hours(setup, "v_project_hours_monthly")
    world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                 fields={"hours": float(entry["hours"]) + 3})
    resync_harvest(setup)
    reconcile(setup)
    after = monthly_hours(setup, "v_project_hours_monthly")
    assert after[key] == before[key] + 3
    edited_at = history(setup, entry["id"])[-1]["valid_from"]
    assert monthly_hours(setup, "v_project_hours_monthly_as_of", edited_at - timedelta(microseconds=1)) == before
    assert monthly_hours(setup, "v_project_hours_monthly_as_of", edited_at) == after
    assert monthly_hours(setup, "v_project_hours_monthly_as_of", datetime(2000, 1, 1)) == {}

    # Through the analyst schema: its definer views call history_as_of() for a login without any privilege here.
    refresh_analyst_schema(db)
    user, password = f"an_hist_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    grant_analyst(db, user, password, (setup["company"].key,))
    try:
        conn = pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=user, password=password,
                               database=analyst_schema_name(db.name))
        try:
            with conn.cursor() as cur:
                cur.execute("SET @timesync_as_of = %s", (edited_at - timedelta(microseconds=1),))
                cur.execute("SELECT hours FROM v_project_hours_monthly_as_of WHERE project_id = %s AND month = %s",
                            key)
                assert cur.fetchone()[0] == before[key]
                cur.execute("SET @timesync_as_of = NULL")
                cur.execute("SELECT hours FROM v_project_hours_monthly_as_of WHERE project_id = %s AND month = %s",
                            key)
                assert cur.fetchone()[0] == after[key]
        finally:
            conn.close()
    finally:
        revoke_analyst(db, user)


@pytest.mark.parametrize("table", VERSIONS)
def test_versions_cannot_be_updated_or_deleted_even_by_the_pipeline_user(setup: dict[str, Any], table: str) -> None:
    db, company_id = setup["db"], setup["company_id"]
    before = version_counts(setup)
    for sql in (f"UPDATE {table} SET sync_log_id = 0 WHERE company_id = %s",  # noqa: S608
                f"DELETE FROM {table} WHERE company_id = %s"):  # noqa: S608
        with pytest.raises(pymysql.err.OperationalError) as refused:
            db.execute(sql, (company_id,))
        assert refused.value.args[0] == SIGNAL and "append-only" in refused.value.args[1]

    # The expiry's session variable opens DELETE only for versions superseded before it: never a current one.
    def delete_current(conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute("SET @timesync_expire_versions_before = %s", (datetime(2999, 1, 1),))
            try:
                cur.execute(f"DELETE FROM {table} WHERE company_id = %s ORDER BY version DESC LIMIT 1",  # noqa: S608
                            (company_id,))
            finally:
                cur.execute("SET @timesync_expire_versions_before = NULL")

    with pytest.raises(pymysql.err.OperationalError) as refused:
        db.run(delete_current)
    assert refused.value.args[0] == SIGNAL
    assert version_counts(setup) == before


def test_expiry_removes_only_versions_superseded_before_the_cutoff(setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    twice = db.query("SELECT time_entry_id FROM time_entry_versions WHERE company_id = %s AND version = 3 "
                     "ORDER BY time_entry_id LIMIT 1", (company_id,))[0]["time_entry_id"]
    versions = history(setup, twice)
    cutoff = versions[2]["valid_from"]  # version 1 was superseded before it, version 2 exactly at it
    report = expire_versions(db, cutoff)
    assert report.expired["time_entry_versions"] >= 1
    assert [v["version"] for v in history(setup, twice)] == [2, 3]
    assert history(setup, twice)[0]["valid_to"] == cutoff
    # Every row keeps its current version; nothing left was superseded before the cutoff.
    assert db.query("SELECT COUNT(*) AS n FROM v_time_entry_history WHERE company_id = %s AND valid_to < %s",
                    (company_id, cutoff))[0]["n"] == 0
    assert db.query("SELECT COUNT(DISTINCT time_entry_id) AS n FROM time_entry_versions WHERE company_id = %s",
                    (company_id,))[0]["n"] == db.query("SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s",
                                                       (company_id,))[0]["n"]


def test_maintain_expires_versions_only_when_asked_and_says_so(setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    for key, value in db_env(db).items():
        monkeypatch.setenv(key, value)
    before = version_counts(setup)
    superseded = sum(int(db.query(f"SELECT COUNT(*) AS n FROM {view} WHERE company_id = %s "  # noqa: S608
                                  "AND valid_to IS NOT NULL", (company_id,))[0]["n"])
                     for view in ("v_time_entry_history", "v_invoice_history", "v_payment_history"))
    assert superseded > 0
    assert cmd_maintain(None, []) == 0  # type: ignore[arg-type]
    assert "no version expired" in capsys.readouterr().out
    assert version_counts(setup) == before

    tomorrow = (datetime.utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
    assert cmd_maintain(None, ["--expire-versions-before", tomorrow]) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    expired = sum(before.values()) - sum(version_counts(setup).values())
    assert expired == superseded and f"expired {expired} history versions superseded before {tomorrow}" in out
    assert db.query("SELECT COUNT(*) AS n FROM v_time_entry_history WHERE company_id = %s AND valid_to IS NOT NULL",
                    (company_id,))[0]["n"] == 0
    assert version_counts(setup)["time_entry_versions"] == db.query(
        "SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s", (company_id,))[0]["n"]
