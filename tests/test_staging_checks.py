"""Blocking staging checks stop the merge; the run says why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize

from pipelines.assets.factory import StreamSpec, VendorSpec, build_stream_asset, stage_listing, time_partitions
from pipelines.checks import evaluate_staging_checks
from resources.config import CompanyConnections
from resources.http import HttpStats
from resources.locks import ensure_company
from resources.mysql import Database, MySQLResource
from resources.staging import StagingTable
from resources.staging_types import Column
from resources.sync_log import SyncLogs

TABLE = StagingTable(
    "staging_checkdemo_entries", "checkdemo", "entries", Column("id", "int", "id", required=True),
    (Column("spent_date", "date", "spent_date", required=True), Column("hours", "decimal", "hours")),
    window_column="spent_date",
)
COMPANY = CompanyConnections(key="checkco", name="Check Co")


class RecordedClient:
    """Serves a fixed page of records in-process: this test is about Dagster's checks, not HTTP."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records, self.stats = records, HttpStats()


def build(records: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    @contextmanager
    def open_client(_conn: object, _log: object) -> Iterator[RecordedClient]:
        yield RecordedClient(records)

    spec = StreamSpec(TABLE, lambda client, _req: [client.records], partitioned=False, sweep="snapshot")
    vendor = VendorSpec("checkdemo", (spec,), lambda _c: object(), open_client)
    stream = build_stream_asset(vendor, spec, COMPANY, time_partitions())
    merged: list[int] = []

    @asset(key=AssetKey(["reconcile", "checkdemo_merge"]), deps=[stream.key])
    def merge() -> None:
        merged.append(1)

    return stream, merge, merged


@pytest.fixture
def checks_db(fresh_db: Database) -> Database:
    fresh_db.execute(
        "CREATE TABLE staging_checkdemo_entries (company_id INT UNSIGNED NOT NULL, id BIGINT NOT NULL, "
        "spent_date DATE NOT NULL, hours DECIMAL(10,4) NULL, raw_json JSON NOT NULL, source_updated_at DATETIME(6),"
        " row_hash BINARY(16) NOT NULL, sync_log_id BIGINT UNSIGNED NOT NULL, "
        "staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), deleted_at DATETIME(6) NULL, "
        "PRIMARY KEY (company_id, id))")
    return fresh_db


def run(db: Database, records: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    stream, merge, merged = build(records)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([stream, merge], instance=instance, raise_on_error=False,
                             resources={"mysql": MySQLResource(database=db.name)})
        evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return result, evaluations, merged


def test_clean_batch_passes_every_check_and_merge_runs(checks_db: Database) -> None:
    result, evaluations, merged = run(checks_db, [{"id": i, "spent_date": "2026-11-02", "hours": 1} for i in range(50)])
    assert result.success
    assert {name: e.passed for name, e in evaluations.items()} == {
        "records_accounted_for": True, "batch_loaded_verbatim": True, "required_fields_present": True,
        "quarantine_rate_ok": True}
    accounted = evaluations["records_accounted_for"].metadata
    assert accounted["listed"].value == accounted["written"].value == 50
    assert merged == [1]


def test_high_quarantine_rate_fails_blocking_check_and_stops_the_merge(checks_db: Database) -> None:
    good = [{"id": i, "spent_date": "2026-11-02", "hours": 1} for i in range(10)]
    bad = [{"id": 100 + i, "spent_date": "0002-01-01", "hours": "lots"} for i in range(5)]
    result, evaluations, merged = run(checks_db, good + bad)
    assert not result.success
    check = evaluations["quarantine_rate_ok"]
    assert not check.passed
    assert "5 of 15 records quarantined" in (check.description or "")
    assert merged == []
    assert checks_db.query("SELECT COUNT(*) AS n FROM staging_quarantine")[0]["n"] == 5


@pytest.fixture
def lenient_server(checks_db: Database) -> Iterator[None]:
    """The server as MySQL 8 treats LOAD DATA LOCAL (like IGNORE: a value it cannot store becomes a warning
    and the nearest value is stored) or as a server without strict mode does; MariaDB in strict mode refuses
    the whole batch instead. Global for the test's duration (pooled connections take it when reset)."""
    before = checks_db.query("SELECT @@global.sql_mode AS m")[0]["m"]
    checks_db.execute("SET GLOBAL sql_mode = ''")
    checks_db.close_idle_connections()
    try:
        yield
    finally:
        checks_db.execute("SET GLOBAL sql_mode = %s", (before,))
        checks_db.close_idle_connections()


@pytest.mark.usefixtures("lenient_server")
def test_a_value_the_server_would_change_fails_the_batch_and_stops_the_merge(checks_db: Database) -> None:
    """A value out of a column's range stored as the nearest one, with only a warning: the check turns that into
    a failed run before the merge reads it."""
    records = [{"id": 1, "spent_date": "2026-11-02", "hours": 1}, {"id": 2, "spent_date": "2026-11-02",
                                                                      "hours": 123456789}]
    result, evaluations, merged = run(checks_db, records)
    assert not result.success and merged == []
    check = evaluations["batch_loaded_verbatim"]
    assert not check.passed
    assert "Out of range" in (check.description or "") and "hours" in (check.description or "")
    assert evaluations["records_accounted_for"].passed


def test_records_not_accounted_for_fail_the_check(checks_db: Database) -> None:
    """The check compares the pages' own count and staging_quarantine with the writer's counters."""
    company_id = ensure_company(checks_db, COMPANY.key, COMPANY.name)
    run_row = SyncLogs(checks_db).start(company_id=company_id, system_name="checkdemo", stream="entries",
                                        sync_type="full")
    pages = [[{"id": 1, "spent_date": "2026-11-02", "hours": 1}, {"id": 2, "spent_date": "0002-01-01"}]]
    stage_listing(checks_db, TABLE, company_id, run_row, pages, None, sweep=False)
    key = AssetKey(["checkco", "checkdemo", "entries"])

    def accounted() -> bool:
        [check] = [c for c in evaluate_staging_checks(checks_db, TABLE, key, run_row)
                   if c.check_name == "records_accounted_for"]
        return check.passed

    assert (run_row.listed, run_row.counts.records_processed, run_row.counts.quarantined) == (2, 2, 1)
    assert accounted()
    run_row.listed += 1  # a record a page returned that the writer never counted
    assert not accounted()
    run_row.listed -= 1
    checks_db.execute("DELETE FROM staging_quarantine WHERE sync_log_id = %s", (run_row.id,))  # a lost quarantine row
    assert not accounted()
