"""Harvest misbehaving: a 429 storm costs time, never records; bad credentials fail loudly."""

from __future__ import annotations

from datetime import timedelta

from dagster import DagsterEventType, DailyPartitionsDefinition, materialize

from pipelines.assets.factory import build_vendor_assets
from pipelines.assets.harvest import harvest_vendor
from resources.mysql import Database, MySQLResource
from simulators.framework import Fault
from tests.sim_sync import (
    FAST_RATE_LIMIT,
    company_of,
    live_ids,
    logged_at,
    simulators,
    staged,
    sync,
    sync_log_rows,
)

VENDOR = harvest_vendor(FAST_RATE_LIMIT)
RETRY_AFTER_SECONDS = 1


def mysql_resource(db: Database) -> MySQLResource:
    s = db.settings
    return MySQLResource(host=s.host, port=s.port, user=s.user, password=s.password, database=s.name)


def test_429_storm_completes_with_no_loss_and_waits_at_least_retry_after(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        server = stack.servers["harvest"]
        server.add_fault(Fault(kind="429", path="^/v2/time_entries$", count=3, retry_after=RETRY_AFTER_SECONDS))

        outcome = sync(migrated_db, company, VENDOR, "time_entries", mode="full")

        log = server.requests()
        assert [r["status"] for r in log[:4]] == [429, 429, 429, 200]
        for throttled, after in zip(log, log[1:], strict=False):
            if throttled["status"] == 429:
                assert logged_at(after) - logged_at(throttled) >= timedelta(seconds=RETRY_AFTER_SECONDS)
        assert len(live_ids(migrated_db, "staging_harvest_time_entries", company)) == \
            stack.truth()["counts"]["harvest"]["time_entries"]
        assert outcome.stats.throttled == 3
        row = sync_log_rows(migrated_db, company, "time_entries")[-1]
        assert (row["status"], row["throttled_count"]) == ("completed", 3)


def test_401_fails_the_run_clearly_marks_sync_logs_failed_and_leaves_staging_unchanged(
        migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        sync(migrated_db, company, VENDOR, "users", mode="full")
        before = staged(migrated_db, "staging_harvest_users", company, "id, row_hash, sync_log_id, deleted_at")
        revoked = company_of(stack, token="hv-revoked-token")
        revoked = type(revoked)(key=company.key, name=company.name, harvest=revoked.harvest)
        assets = [a for a in build_vendor_assets(VENDOR, [revoked], DailyPartitionsDefinition("2025-01-01"))
                  if a.key.path[-1] == "users"]

        result = materialize(assets, resources={"mysql": mysql_resource(migrated_db)}, raise_on_error=False)

        assert not result.success
        failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
        assert len(failures) == 1  # not retried: a 401 cannot get better by waiting
        message = failures[0].step_failure_data.user_failure_data.description
        account = company.harvest.account_id
        assert f"harvest account {account}: GET /v2/users → HTTP 401" in message
        assert "hv-revoked-token" not in message
        row = sync_log_rows(migrated_db, company, "users")[-1]
        assert row["status"] == "failed" and "HTTP 401" in row["error_message"]
        after = staged(migrated_db, "staging_harvest_users", company, "id, row_hash, sync_log_id, deleted_at")
        assert after == before and before
