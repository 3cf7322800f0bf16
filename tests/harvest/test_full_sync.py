"""A full Harvest sync against the simulator over HTTP lands exactly the simulator's records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pipelines.assets.harvest import harvest_vendor
from resources.harvest import MAX_PER_PAGE
from resources.mysql import Database
from tests.sim_sync import FAST_RATE_LIMIT, company_of, live_ids, simulators, sync, sync_log_rows

VENDOR = harvest_vendor(FAST_RATE_LIMIT)


@pytest.fixture(scope="module")
def full_sync(migrated_db: Database) -> Iterator[dict[str, Any]]:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        stack.servers["harvest"].clear_requests()
        outcomes = {spec.name: sync(migrated_db, company, VENDOR, spec.name, mode="full")
                    for spec in VENDOR.streams}
        yield {"company": company, "truth": stack.truth()["counts"]["harvest"], "outcomes": outcomes,
               "requests": stack.servers["harvest"].requests()}


def test_full_sync_staging_counts_equal_the_simulator_truth_for_every_stream(
        migrated_db: Database, full_sync: dict[str, Any]) -> None:
    company, truth = full_sync["company"], full_sync["truth"]
    staged_counts = {spec.name: len(live_ids(migrated_db, spec.table.name, company)) for spec in VENDOR.streams}
    assert staged_counts == truth
    assert truth["time_entries"] > MAX_PER_PAGE  # the sync had to follow links.next
    logs = {row["stream"]: row for row in sync_log_rows(migrated_db, company)}
    assert {s: (r["status"], r["records_processed"]) for s, r in logs.items()} == {
        s: ("completed", n) for s, n in truth.items()}


def test_every_request_sent_per_page_2000_and_a_user_agent(full_sync: dict[str, Any]) -> None:
    requests = full_sync["requests"]
    assert {r["path"] for r in requests} == {f"/v2/{name}" for name in full_sync["truth"]}
    assert all(r["params"].get("per_page") == str(MAX_PER_PAGE) for r in requests)
    assert all(r["headers"]["user_agent"] for r in requests)
    assert all(r["status"] == 200 for r in requests)
    time_entry_pages = [r for r in requests if r["path"] == "/v2/time_entries"]
    assert len(time_entry_pages) == -(-full_sync["truth"]["time_entries"] // MAX_PER_PAGE)


def test_staging_tables_have_every_declared_column(migrated_db: Database) -> None:
    for spec in VENDOR.streams:
        rows = migrated_db.query(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() "
            "AND table_name = %s", (spec.table.name,))
        assert set(spec.table.column_names) <= {r["name"] for r in rows}, spec.table.name
