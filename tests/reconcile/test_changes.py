"""Changes flowing through staging into the normalized tables: deletes, revivals, order, failures.

Only Harvest and Forecast are configured here: reconciliation runs on whatever vendors a company has.
This module has a database of its own because one test adds a CHECK constraint to inject a failure.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from pipelines.assets.factory import run_stream
from pipelines.reconcile.merges import MERGES
from pipelines.reconcile.run import reconcile_company
from resources.staging import StagingWriter
from tests.reconcile.world_sync import VENDORS, checksums, quiet, reconcile_logs, world_in_own_database

HARVEST = VENDORS[0]


@pytest.fixture(scope="module")
def setup() -> Iterator[dict[str, Any]]:
    with world_in_own_database(VENDORS[:2]) as world:
        reconcile_company(world["db"], world["company_id"], log=quiet)
        yield world


def resync(setup: dict[str, Any], *streams: str) -> None:
    for spec in HARVEST.streams:
        if spec.name in streams:
            run_stream(setup["db"], setup["company"], HARVEST, spec, mode="full", log=quiet)


def reconcile(setup: dict[str, Any], full: bool = False) -> dict[str, dict[str, Any]]:
    run_id = f"test-{secrets.token_hex(4)}"
    reconcile_company(setup["db"], setup["company_id"], run_id=run_id, log=quiet, full=full)
    return reconcile_logs(setup["db"], setup["company_id"], run_id)


def harvest_entry(setup: dict[str, Any], offset: int) -> dict[str, Any]:
    return setup["db"].query(
        "SELECT * FROM time_entries WHERE company_id = %s AND source_system = 'harvest' AND is_running = 0 "
        "ORDER BY id LIMIT 1 OFFSET %s", (setup["company_id"], offset))[0]


def in_view(setup: dict[str, Any], entry_id: int) -> bool:
    return bool(setup["db"].query("SELECT id FROM v_time_entries WHERE id = %s", (entry_id,)))


def test_deleted_source_entry_is_soft_deleted_hidden_from_views_and_revived_when_it_reappears(
        setup: dict[str, Any]) -> None:
    db, world = setup["db"], setup["stack"].world()
    entry = harvest_entry(setup, 10)
    world.mutate(system="harvest", resource="time_entries", op="delete", id=entry["source_id"])
    resync(setup, "time_entries")
    logs = reconcile(setup)
    row = db.query("SELECT deleted_at FROM time_entries WHERE id = %s", (entry["id"],))[0]
    assert row["deleted_at"] is not None and not in_view(setup, entry["id"])
    assert (logs["time_entries"]["deleted_count"], logs["time_entries"]["updated_count"]) == (1, 0)

    world.overlay("harvest", "time_entries").deleted.discard(int(entry["source_id"]))
    resync(setup, "time_entries")
    logs = reconcile(setup)
    row = db.query("SELECT deleted_at, hours FROM time_entries WHERE id = %s", (entry["id"],))[0]
    assert row["deleted_at"] is None and row["hours"] == entry["hours"] and in_view(setup, entry["id"])
    assert (logs["time_entries"]["deleted_count"], logs["time_entries"]["updated_count"]) == (0, 1)


def test_an_older_staged_version_never_overwrites_a_newer_stored_row(setup: dict[str, Any]) -> None:
    db, company_id = setup["db"], setup["company_id"]
    entry = harvest_entry(setup, 20)
    setup["stack"].world().mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                                  fields={"hours": 7.75})
    resync(setup, "time_entries")
    reconcile(setup)
    newer = db.query("SELECT hours, source_updated_at, row_hash FROM time_entries WHERE id = %s", (entry["id"],))[0]
    assert float(newer["hours"]) == 7.75

    staged = db.query("SELECT raw_json, sync_log_id FROM staging_harvest_time_entries WHERE company_id = %s "
                      "AND id = %s", (company_id, int(entry["source_id"])))[0]
    older = {**json.loads(staged["raw_json"]), "hours": 1.0, "updated_at": "2020-01-02T03:04:05Z"}
    table = next(s.table for s in HARVEST.streams if s.name == "time_entries")
    with StagingWriter(db, table, company_id, staged["sync_log_id"]) as writer:
        writer.add([older])
    assert db.query("SELECT hours FROM staging_harvest_time_entries WHERE company_id = %s AND id = %s",
                    (company_id, int(entry["source_id"])))[0]["hours"] == 1
    # Full: the older version was written under an old sync_log_id, which an incremental run would not even read.
    logs = reconcile(setup, full=True)
    after = db.query("SELECT hours, source_updated_at, row_hash FROM time_entries WHERE id = %s", (entry["id"],))[0]
    assert after == newer
    assert logs["time_entries"]["updated_count"] == 0


def test_a_merge_failing_midway_leaves_normalized_tables_unchanged_and_sync_logs_failed(
        setup: dict[str, Any]) -> None:
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    client = db.query("SELECT harvest_client_id, name FROM clients WHERE company_id = %s AND harvest_client_id "
                      "IS NOT NULL ORDER BY id LIMIT 1", (company_id,))[0]
    entry = harvest_entry(setup, 30)
    world.mutate(system="harvest", resource="clients", op="update", id=client["harvest_client_id"],
                 fields={"name": "Renamed Before Failure"})
    world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                 fields={"notes": "inject failure"})
    resync(setup, "clients", "time_entries")
    before = checksums(db, company_id)
    # Clients merge first and would change; time entries then violate the injected constraint.
    db.execute("ALTER TABLE time_entries ADD CONSTRAINT ck_injected CHECK (notes IS NULL OR notes <> 'inject failure')")
    run_id = f"fail-{secrets.token_hex(4)}"
    try:
        with pytest.raises(pymysql.MySQLError):
            reconcile_company(db, company_id, run_id=run_id, log=quiet)
    finally:
        db.execute("ALTER TABLE time_entries DROP CONSTRAINT ck_injected")
    assert checksums(db, company_id) == before
    logs = reconcile_logs(db, company_id, run_id)
    assert logs and {r["status"] for r in logs.values()} == {"failed"}
    assert all("inject failure" in (r["error_message"] or "") or "ck_injected" in (r["error_message"] or "")
               for r in logs.values())

    reconcile(setup)
    assert db.query("SELECT name FROM clients WHERE company_id = %s AND harvest_client_id = %s",
                    (company_id, client["harvest_client_id"]))[0]["name"] == "Renamed Before Failure"


def test_every_changed_time_entry_is_updated_by_the_one_level_merge_with_derived_merge_on(
        setup: dict[str, Any]) -> None:
    # MariaDB 10.11 once skipped rows here ("Records: 4" of 10) when derived tables were merged into the upsert.
    db, company_id, world = setup["db"], setup["company_id"], setup["stack"].world()
    assert not next(m for m in MERGES if m.sql == "merge_time_entries_harvest.sql").nested_derived
    assert "derived_merge=on" in db.query("SELECT @@GLOBAL.optimizer_switch AS s")[0]["s"]
    entries = [harvest_entry(setup, offset) for offset in range(40, 90, 5)]
    for k, entry in enumerate(entries):
        world.mutate(system="harvest", resource="time_entries", op="update", id=entry["source_id"],
                     fields={"hours": 11.0 + k / 4})
    resync(setup, "time_entries")
    logs = reconcile(setup)
    assert logs["time_entries"]["updated_count"] == len(entries) == 10
    hours = {r["id"]: float(r["hours"]) for r in db.query(
        "SELECT id, hours FROM time_entries WHERE company_id = %s AND id IN %s",
        (company_id, [e["id"] for e in entries]))}
    assert hours == {e["id"]: 11.0 + k / 4 for k, e in enumerate(entries)}
