"""Blocking staging checks stop the merge; the run says why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize

from pipelines.assets.factory import StreamSpec, VendorSpec, build_stream_asset, time_partitions
from resources.config import CompanyConnections
from resources.http import HttpStats
from resources.mysql import Database, MySQLResource
from resources.staging import StagingTable
from resources.staging_types import Column

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
        "keys_unique_in_batch": True, "required_fields_present": True, "quarantine_rate_ok": True}
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
