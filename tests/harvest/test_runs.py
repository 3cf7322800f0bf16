"""How Harvest runs are scheduled: backfills as one run, one run per stream at a time, accounts apart."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from dagster import DagsterInstance, materialize

from pipelines.assets.factory import build_vendor_assets, time_partitions
from pipelines.assets.harvest import harvest_vendor
from resources.harvest import HarvestClient
from resources.http import RateLimit
from resources.mysql import Database
from simulators.framework import Fault
from tests.harvest.test_failures import mysql_resource
from tests.sim_sync import (
    FAST_RATE_LIMIT,
    company_of,
    live_ids,
    logged_at,
    max_requests_in_any_window,
    simulators,
    staged,
    sync,
    sync_log_rows,
)

VENDOR = harvest_vendor(FAST_RATE_LIMIT)


def month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def test_backfill_of_a_three_month_range_is_one_run_over_the_whole_window(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        world = stack.world()
        first = month_start(world.anchor, 4)
        last = month_start(world.anchor, 1) - timedelta(days=1)
        assets = [a for a in build_vendor_assets(VENDOR, [company], time_partitions("2025-01-01"))
                  if a.key.path[-1] == "time_entries"]
        instance = DagsterInstance.ephemeral()
        stack.servers["harvest"].clear_requests()

        result = materialize(assets, instance=instance, resources={"mysql": mysql_resource(migrated_db)},
                             tags={"dagster/asset_partition_range_start": first.isoformat(),
                                   "dagster/asset_partition_range_end": last.isoformat()})

        assert result.success
        assert len(instance.get_runs()) == 1
        assert len(result.get_asset_materialization_events()) == (last - first).days + 1
        [log] = sync_log_rows(migrated_db, company, "time_entries")
        assert (log["window_start"].date(), log["window_end"].date()) == (first, last)
        assert log["partition_key"] == f"{first}..{last}"
        windows = {(r["params"]["from"], r["params"]["to"]) for r in stack.servers["harvest"].requests()}
        assert windows == {(first.isoformat(), last.isoformat())}
        lo, hi = world.entry_dates.index_range(first, last)
        dates = [r["spent_date"] for r in staged(migrated_db, "staging_harvest_time_entries", company,
                                                 "id, spent_date")]
        assert len(dates) == hi - lo and all(first <= d <= last for d in dates)


def test_two_runs_of_the_same_stream_and_account_never_interleave(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        stack.servers["harvest"].add_fault(Fault(kind="slow", path="^/v2/users$", count=1, delay=1.0))
        runs = [threading.Thread(target=sync, args=(migrated_db, company, VENDOR, "users"),
                                 kwargs={"mode": "full"}) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=60)

        first, second = sync_log_rows(migrated_db, company, "users")
        assert first["status"] == second["status"] == "completed"
        assert first["completed_at"] <= second["started_at"]


def test_two_harvest_accounts_sync_into_rows_isolated_by_company(migrated_db: Database) -> None:
    with simulators(["acme", "globex"], vendors=("harvest",)) as stack:
        companies = {world: company_of(stack, world) for world in ("acme", "globex")}

        def sync_all(world: str) -> None:
            for spec in VENDOR.streams:
                sync(migrated_db, companies[world], VENDOR, spec.name, mode="full")

        threads = [threading.Thread(target=sync_all, args=(world,)) for world in companies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        hours = {}
        for world, company in companies.items():
            truth = stack.truth(world)["counts"]["harvest"]
            assert {s.name: len(live_ids(migrated_db, s.table.name, company)) for s in VENDOR.streams} == truth
            hours[world] = {r["id"]: r["hours"] for r in staged(
                migrated_db, "staging_harvest_time_entries", company, "id, hours")}
        # Both accounts use the same Harvest ids; each company keeps its own rows.
        assert hours["acme"].keys() == hours["globex"].keys()
        assert hours["acme"] != hours["globex"]


def test_two_harvest_accounts_are_paced_separately_each_under_its_own_limit() -> None:
    limit = RateLimit(requests=4, per_seconds=1.0, safety_seconds=0.25)
    with simulators(["acme", "globex"], vendors=("harvest",)) as stack:
        server = stack.servers["harvest"]
        server.set_rate_limit(limit=4, window=1.0)
        clients = [HarvestClient(company_of(stack, world).harvest, rate_limit=limit) for world in ("acme", "globex")]

        def read_users(client: HarvestClient) -> None:
            for _ in range(8):
                list(client.pages("users"))

        threads = [threading.Thread(target=read_users, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()

        log = server.requests()
        assert len(log) == 16 and all(r["status"] == 200 for r in log)  # no account went over its limit
        one_second = timedelta(seconds=1)
        for world in ("acme", "globex"):
            assert max_requests_in_any_window([logged_at(r) for r in log if r["company"] == world], one_second) <= 4
        # ...and the two budgets were spent side by side, not shared
        assert max_requests_in_any_window([logged_at(r) for r in log], one_second) >= 7
