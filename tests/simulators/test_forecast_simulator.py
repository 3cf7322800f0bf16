"""Forecast simulator over real HTTP, one test per fidelity item (harvest_forecast.md §6, 13-18)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest

from simulators.stack import SimulatorStack, start_stack
from tests.simulators.conftest import ANCHOR, forecast_client

MS_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def window(start: date, days: int) -> dict[str, str]:
    return {"start_date": start.isoformat(), "end_date": (start + timedelta(days=days)).isoformat()}


# 13. auth
def test_forecast_account_id_differs_from_harvest(hf_stack: SimulatorStack) -> None:
    e = hf_stack.env("acme")
    assert e["FORECAST_ACCOUNT_ID"] != e["HARVEST_ACCOUNT_ID"]


@pytest.mark.parametrize(("auth", "reason"), [(None, "missing-token"), ("Bearer nope-nope", "non-existent-token"),
                                              ("Token x", "invalid-token")])
def test_bad_tokens_are_401_with_reason(hf_stack: SimulatorStack, auth: str | None, reason: str) -> None:
    e = hf_stack.env("acme")
    headers = {"Forecast-Account-ID": e["FORECAST_ACCOUNT_ID"]}
    if auth:
        headers["Authorization"] = auth
    r = httpx.get(f"{e['FORECAST_BASE_URL']}/people", headers=headers)
    assert r.status_code == 401 and r.json()["reason"] == reason


def test_harvest_account_id_is_not_a_forecast_account(hf_stack: SimulatorStack) -> None:
    e = hf_stack.env("acme")
    r = httpx.get(f"{e['FORECAST_BASE_URL']}/people", headers={
        "Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "Forecast-Account-ID": e["HARVEST_ACCOUNT_ID"]})
    assert r.status_code == 401


# 14. assignments window
def test_assignments_require_start_and_end_date(forecast: httpx.Client) -> None:
    assert forecast.get("/assignments").status_code == 422
    assert forecast.get("/assignments", params={"start_date": "2025-01-01"}).status_code == 422


def test_181_day_forecast_window_is_422(forecast: httpx.Client) -> None:
    assert forecast.get("/assignments", params=window(ANCHOR, 181)).status_code == 422
    assert forecast.get("/assignments", params=window(ANCHOR, 180)).status_code == 200


def test_overlapping_windows_repeat_assignments(forecast: httpx.Client) -> None:
    a = forecast.get("/assignments", params=window(ANCHOR - timedelta(days=60), 59)).json()["assignments"]
    b = forecast.get("/assignments", params=window(ANCHOR, 59)).json()["assignments"]
    repeated = {x["id"] for x in a} & {x["id"] for x in b}
    assert repeated
    for x in a:
        assert x["start_date"] <= (ANCHOR - timedelta(days=1)).isoformat()
        assert x["end_date"] >= (ANCHOR - timedelta(days=60)).isoformat()


def test_assignment_filters_person_and_project(forecast: httpx.Client) -> None:
    rows = forecast.get("/assignments", params=window(ANCHOR - timedelta(days=90), 180)).json()["assignments"]
    person = next(r["person_id"] for r in rows if r["person_id"])
    project = rows[0]["project_id"]
    by_person = forecast.get("/assignments", params={**window(ANCHOR - timedelta(days=90), 180),
                                                     "person_id": person}).json()["assignments"]
    by_project = forecast.get("/assignments", params={**window(ANCHOR - timedelta(days=90), 180),
                                                      "project_id": project}).json()["assignments"]
    assert by_person and all(r["person_id"] == person for r in by_person)
    assert by_project and all(r["project_id"] == project for r in by_project)
    assert len(by_person) < len(rows)


# 15. envelopes
def test_lists_are_unpaginated_and_single_objects_use_the_singular_key(forecast: httpx.Client) -> None:
    body = forecast.get("/projects").json()
    assert list(body) == ["projects"]
    one = forecast.get(f"/projects/{body['projects'][0]['id']}").json()
    assert one["project"]["id"] == body["projects"][0]["id"]
    me = forecast.get("/whoami").json()["current_user"]
    assert me["account_ids"] and me["id"]
    for key in ("people", "clients", "placeholders", "roles", "milestones"):
        assert isinstance(forecast.get(f"/{key}").json()[key], list)


# 16. realism
def test_forecast_data_shapes(forecast: httpx.Client) -> None:
    rows = []
    for k in range(4):
        start = ANCHOR - timedelta(days=365) + timedelta(days=181 * k)
        rows += forecast.get("/assignments", params=window(start, 180)).json()["assignments"]
    assert any(r["allocation"] is None for r in rows) and any(r["allocation"] == 28800 for r in rows)
    assert all((r["person_id"] is None) != (r["placeholder_id"] is None) for r in rows)
    assert any(r["placeholder_id"] for r in rows)
    assert all(MS_STAMP.fullmatch(r["updated_at"]) for r in rows)
    people = forecast.get("/people").json()["people"]
    assert all(p["weekly_capacity"] in (126000, 144000) for p in people)
    assert any("saturday" not in p["working_days"] for p in people)
    assert all(isinstance(role, str) for p in people for role in p["roles"])
    assert any(p["harvest_user_id"] is None for p in people)
    assert sum(1 for p in forecast.get("/projects").json()["projects"] if p["harvest_id"] is None) == 1


# 17. edits
def test_editing_an_old_assignment_bumps_only_updated_at(fresh_stack: SimulatorStack) -> None:
    with forecast_client(fresh_stack) as client:
        params = window(ANCHOR - timedelta(days=300), 30)
        before = client.get("/assignments", params=params).json()["assignments"][0]
        fresh_stack.servers["forecast"].mutate(resource="assignments", op="update", id=before["id"],
                                               fields={"allocation": 7200})
        after = next(a for a in client.get("/assignments", params=params).json()["assignments"]
                     if a["id"] == before["id"])
    assert after["updated_at"] > before["updated_at"] and MS_STAMP.fullmatch(after["updated_at"])
    assert (after["start_date"], after["end_date"]) == (before["start_date"], before["end_date"])
    assert after["allocation"] == 7200


def test_deleted_assignment_disappears_without_tombstone(fresh_stack: SimulatorStack) -> None:
    with forecast_client(fresh_stack) as client:
        params = window(ANCHOR, 30)
        victim = client.get("/assignments", params=params).json()["assignments"][0]
        fresh_stack.servers["forecast"].mutate(resource="assignments", op="delete", id=victim["id"])
        assert victim["id"] not in {a["id"] for a in client.get("/assignments", params=params).json()["assignments"]}
        assert client.get(f"/assignments/{victim['id']}").status_code == 404


# 18. rate limit
def test_forecast_rate_limit_is_429_with_retry_after() -> None:
    stack = start_stack(["acme"], anchor=ANCHOR, vendors=("forecast",))
    stack.servers["forecast"].set_rate_limit(limit=5, window=30)
    try:
        with forecast_client(stack) as client:
            codes = [client.get("/whoami").status_code for _ in range(6)]
            r = client.get("/whoami")
        assert codes == [200] * 5 + [429]
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    finally:
        stack.stop()
