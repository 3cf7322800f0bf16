"""Forecast into staging over HTTP: every stream complete, assignments in <=180-day windows, deletes swept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from pipelines.assets.forecast import assignment_horizon, forecast_vendor
from resources.forecast import MAX_WINDOW_DAYS
from resources.http import AuthError
from resources.mysql import Database
from tests.sim_sync import FAST_RATE_LIMIT, company_of, live_ids, simulators, staged, sync, sync_log_rows

VENDOR = forecast_vendor(FAST_RATE_LIMIT)
ASSIGNMENTS = "staging_forecast_assignments"


@pytest.fixture
def whole_world_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    # The simulated plan reaches ~183 days (plus one block) ahead; 7 months covers all of it.
    monkeypatch.setenv("FORECAST_HORIZON_MONTHS_BACK", "12")
    monkeypatch.setenv("FORECAST_HORIZON_MONTHS_AHEAD", "7")


@pytest.fixture(scope="module")
def forecast_sim() -> Iterator[Any]:
    with simulators(vendors=("forecast",)) as stack:
        yield stack


def sync_everything(db: Database, company: Any) -> dict[str, Any]:
    return {spec.name: sync(db, company, VENDOR, spec.name, mode="full") for spec in VENDOR.streams}


def assignment_windows(stack: Any) -> list[tuple[date, date]]:
    return [(date.fromisoformat(r["params"]["start_date"]), date.fromisoformat(r["params"]["end_date"]))
            for r in stack.servers["forecast"].requests() if r["path"] == "/assignments"]


def test_full_forecast_sync_stages_exactly_the_simulator_truth_for_every_stream(
        migrated_db: Database, forecast_sim: Any, whole_world_horizon: None) -> None:
    company = company_of(forecast_sim)
    sync_everything(migrated_db, company)
    staged_counts = {s.name: len(live_ids(migrated_db, s.table.name, company)) for s in VENDOR.streams}
    assert staged_counts == forecast_sim.truth()["counts"]["forecast"]
    assert all(r["status"] == "completed" for r in sync_log_rows(migrated_db, company))


def test_assignment_windows_never_exceed_180_days_and_overlaps_stage_each_assignment_once(
        migrated_db: Database, forecast_sim: Any, whole_world_horizon: None) -> None:
    company = company_of(forecast_sim)
    forecast_sim.servers["forecast"].clear_requests()

    outcome = sync(migrated_db, company, VENDOR, "assignments")

    windows = assignment_windows(forecast_sim)
    assert len(windows) >= 2
    assert all((last - first).days + 1 <= MAX_WINDOW_DAYS for first, last in windows)
    assert (windows[0][0], windows[-1][1]) == assignment_horizon()
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in zip(windows, windows[1:], strict=False))
    served = sum(r["records"] for r in forecast_sim.servers["forecast"].requests())
    stored = staged(migrated_db, ASSIGNMENTS, company, "id")
    assert served > len(stored)  # neighbouring windows did repeat assignments...
    assert len(stored) == len({r["id"] for r in stored}) == outcome.run.counts.records_processed  # ...once each
    assert len(stored) == forecast_sim.truth()["counts"]["forecast"]["assignments"]


def test_deleted_assignments_and_people_are_swept_and_assignments_outside_the_horizon_are_kept(
        migrated_db: Database, whole_world_horizon: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with simulators(vendors=("forecast",)) as stack:
        company = company_of(stack)
        sync_everything(migrated_db, company)
        world = stack.world()
        recent = next(a for a in world.assignments if a["start_date"] > world.anchor)
        person = world.people[3]["forecast_person_id"]
        stack.servers["forecast"].mutate(resource="assignments", op="delete", id=recent["id"])
        stack.servers["forecast"].mutate(resource="people", op="delete", id=person)
        monkeypatch.setenv("FORECAST_HORIZON_MONTHS_BACK", "2")

        sweep = sync(migrated_db, company, VENDOR, "assignments")
        sync(migrated_db, company, VENDOR, "people")

        deleted = {r["id"] for r in staged(migrated_db, ASSIGNMENTS, company, "id", "deleted_at IS NOT NULL")}
        assert deleted == {recent["id"]} and sweep.run.counts.deleted == 1
        old = [a["id"] for a in world.assignments if a["end_date"] < sweep.request.window[0]]
        assert old and set(old) <= live_ids(migrated_db, ASSIGNMENTS, company)
        people_deleted = staged(migrated_db, "staging_forecast_people", company, "id", "deleted_at IS NOT NULL")
        assert [r["id"] for r in people_deleted] == [person]


def test_forecast_401_fails_with_the_account_named_and_sync_logs_failed(migrated_db: Database,
                                                                         forecast_sim: Any) -> None:
    company = company_of(forecast_sim, token="not-a-forecast-token")
    with pytest.raises(AuthError) as failure:
        sync(migrated_db, company, VENDOR, "people", mode="full")
    assert f"forecast account {company.forecast.account_id}: GET /people → HTTP 401" in str(failure.value)
    assert "not-a-forecast-token" not in str(failure.value)
    [log] = sync_log_rows(migrated_db, company, "people")
    assert log["status"] == "failed" and "HTTP 401" in log["error_message"]
    assert staged(migrated_db, "staging_forecast_people", company) == []
