"""Harvest v2 simulator over real HTTP, one test per fidelity item (harvest_forecast.md §6)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import httpx
import pytest

from simulators.framework import Fault
from simulators.stack import SimulatorStack, start_stack
from tests.simulators.conftest import ANCHOR, harvest_client


def walk(client: httpx.Client, url: str) -> list[dict]:
    pages = []
    while url:
        body = client.get(url).raise_for_status().json()
        pages.append(body)
        url = body["links"]["next"]
    return pages


# 1. headers and auth
def test_missing_user_agent_is_400(hf_stack: SimulatorStack) -> None:
    e = hf_stack.env("acme")
    r = httpx.get(f"{e['HARVEST_BASE_URL']}/v2/users", headers={
        "Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "Harvest-Account-Id": e["HARVEST_ACCOUNT_ID"],
        "User-Agent": ""})
    assert r.status_code == 400


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc"])
def test_missing_or_bad_bearer_is_401_invalid_token(hf_stack: SimulatorStack, auth: str | None) -> None:
    e = hf_stack.env("acme")
    headers = {"Harvest-Account-Id": e["HARVEST_ACCOUNT_ID"], "User-Agent": "t (t@t.test)"}
    if auth:
        headers["Authorization"] = auth
    r = httpx.get(f"{e['HARVEST_BASE_URL']}/v2/users", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token" and r.json()["error_description"]


@pytest.mark.parametrize("account", [None, "999999", "100002"])
def test_missing_unknown_or_foreign_account_id_is_rejected(hf_stack: SimulatorStack, account: str | None) -> None:
    e = hf_stack.env("acme")
    headers = {"Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "User-Agent": "t (t@t.test)"}
    if account:
        headers["Harvest-Account-Id"] = account
    assert httpx.get(f"{e['HARVEST_BASE_URL']}/v2/users", headers=headers).status_code in (401, 403)


def test_each_company_is_served_by_its_account_header(hf_stack: SimulatorStack) -> None:
    with harvest_client(hf_stack, "globex") as globex:
        company = globex.get("/v2/company").json()
    assert company["name"] == hf_stack.world("globex").name


# 3. envelope
def test_list_envelope_has_every_pagination_field(harvest: httpx.Client) -> None:
    body = harvest.get("/v2/time_entries", params={"per_page": 100}).json()
    assert set(body) == {"time_entries", "per_page", "total_pages", "total_entries", "page", "next_page",
                         "previous_page", "links"}
    assert set(body["links"]) == {"first", "next", "previous", "last"}
    assert body["page"] == 1 and body["next_page"] == 2 and body["previous_page"] is None
    assert body["total_pages"] == -(-body["total_entries"] // 100)


def test_empty_result_is_empty_list_with_null_next_page(harvest: httpx.Client) -> None:
    body = harvest.get("/v2/time_entries", params={"from": "1999-01-01", "to": "1999-01-31"}).json()
    assert body["time_entries"] == [] and body["next_page"] is None and body["links"]["next"] is None


# 4. per_page
def test_per_page_2001_is_422(harvest: httpx.Client) -> None:
    assert harvest.get("/v2/time_entries", params={"per_page": 2001}).status_code == 422
    assert harvest.get("/v2/users", params={"per_page": 2001}).status_code == 422


def test_per_page_defaults_to_2000_and_100_for_invoices(harvest: httpx.Client) -> None:
    assert harvest.get("/v2/time_entries").json()["per_page"] == 2000
    assert harvest.get("/v2/invoices").json()["per_page"] == 100


# 5. pagination styles
@pytest.mark.parametrize("path", ["/v2/time_entries?per_page=300", "/v2/users?per_page=3",
                                  "/v2/projects?per_page=4", "/v2/task_assignments?per_page=7",
                                  "/v2/invoices?per_page=7", "/v2/expenses?per_page=9"])
def test_following_links_next_visits_every_record_exactly_once(harvest: httpx.Client, path: str) -> None:
    pages = walk(harvest, path)
    key = path.split("?")[0].rsplit("/", 1)[1]
    ids = [r["id"] for p in pages for r in p[key]]
    assert len(ids) == len(set(ids)) == pages[0]["total_entries"]


def test_cursor_links_are_opaque_and_middle_pages_have_null_page_numbers(harvest: httpx.Client) -> None:
    pages = walk(harvest, "/v2/task_assignments?per_page=10")
    assert len(pages) >= 3
    assert "ref=next_cursor" in pages[0]["links"]["next"] and "&page=" not in pages[0]["links"]["next"]
    cursor = re.search(r"cursor=([^&]+)", pages[0]["links"]["next"]).group(1)
    assert "after" in json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert all(p["page"] is None and p["next_page"] is None for p in pages[1:-1])
    assert pages[0]["page"] == 1 and pages[-1]["page"] == pages[-1]["total_pages"]


def test_cursor_beats_page(harvest: httpx.Client) -> None:
    first = harvest.get("/v2/clients", params={"per_page": 2}).json()
    via_cursor = harvest.get(first["links"]["next"] + "&page=1").json()
    assert [c["id"] for c in via_cursor["clients"]] != [c["id"] for c in first["clients"]]


# 6. sort order
def test_time_entries_are_sorted_by_spent_date_newest_first(harvest: httpx.Client) -> None:
    dates = [e["spent_date"] for e in harvest.get("/v2/time_entries").json()["time_entries"]]
    assert dates == sorted(dates, reverse=True)


def test_users_and_projects_are_newest_first(harvest: httpx.Client) -> None:
    for key in ("users", "projects"):
        stamps = [r["created_at"] for r in harvest.get(f"/v2/{key}").json()[key]]
        assert stamps == sorted(stamps, reverse=True)


def test_an_edit_between_page_requests_shifts_offsets(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        page1 = client.get("/v2/time_entries", params={"per_page": 50}).json()["time_entries"]
        fresh_stack.servers["harvest"].mutate(system="harvest", resource="time_entries", op="delete",
                                              id=page1[0]["id"])
        page2 = client.get("/v2/time_entries", params={"per_page": 50, "page": 2}).json()["time_entries"]
    assert page2[0]["id"] != page1[-1]["id"]
    assert page1[-1]["id"] not in {e["id"] for e in page2}  # the first record of old page 2 was skipped


# 7. filters
def test_updated_since_matches_at_or_after_at_second_precision(harvest: httpx.Client) -> None:
    entries = harvest.get("/v2/time_entries", params={"from": "2025-02-01"}).json()["time_entries"]
    pivot = sorted(e["updated_at"] for e in entries)[len(entries) // 2]
    got = walk(harvest, f"/v2/time_entries?updated_since={pivot}&per_page=500")
    stamps = [e["updated_at"] for p in got for e in p["time_entries"]]
    assert pivot in stamps and min(stamps) >= pivot
    everything = [e for p in walk(harvest, "/v2/time_entries") for e in p["time_entries"]]
    assert len(stamps) == sum(1 for e in everything if e["updated_at"] >= pivot)


def test_from_and_to_are_inclusive_on_spent_date(harvest: httpx.Client) -> None:
    body = harvest.get("/v2/time_entries", params={"from": "2025-03-03", "to": "2025-03-04"}).json()
    dates = {e["spent_date"] for e in body["time_entries"]}
    assert dates == {"2025-03-03", "2025-03-04"}


def test_id_and_state_filters(harvest: httpx.Client) -> None:
    sample = harvest.get("/v2/time_entries", params={"per_page": 1}).json()["time_entries"][0]
    for param, path in (("user_id", "user"), ("project_id", "project"), ("client_id", "client")):
        body = harvest.get("/v2/time_entries", params={param: sample[path]["id"], "from": "2025-01-01"}).json()
        assert body["time_entries"] and all(e[path]["id"] == sample[path]["id"] for e in body["time_entries"])
    projects = harvest.get("/v2/projects").json()
    inactive = harvest.get("/v2/projects", params={"is_active": "false"}).json()["projects"]
    assert inactive and all(not p["is_active"] for p in inactive)
    assert len(projects["projects"]) > len(inactive)


# 8. rate limit and injected faults
def test_101st_request_within_window_is_429_with_retry_after() -> None:
    stack = start_stack(["acme"], anchor=ANCHOR, vendors=("harvest",))
    try:
        with harvest_client(stack) as client:
            codes = [client.get("/v2/company").status_code for _ in range(101)]
            assert codes[:100] == [200] * 100 and codes[100] == 429
            r = client.get("/v2/company")
            assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 15
    finally:
        stack.stop()


def test_injected_faults_in_the_middle_of_pagination(fresh_stack: SimulatorStack) -> None:
    server = fresh_stack.servers["harvest"]
    with harvest_client(fresh_stack) as client:
        nxt = client.get("/v2/time_entries", params={"per_page": 500}).json()["links"]["next"]
        server.add_fault(Fault(kind="status", status=503, path="/v2/time_entries"))
        server.add_fault(Fault(kind="429", path="/v2/time_entries", retry_after=7))
        server.add_fault(Fault(kind="malformed", path="/v2/time_entries"))
        assert client.get(nxt).status_code == 503
        r = client.get(nxt)
        assert r.status_code == 429 and r.headers["Retry-After"] == "7"
        with pytest.raises(json.JSONDecodeError):
            client.get(nxt).json()
        server.add_fault({"kind": "drop", "path": "/v2/time_entries"})
        with pytest.raises(httpx.HTTPError):
            client.get(nxt)
        assert client.get(nxt).json()["page"] == 2


def test_request_log_keeps_header_presence_but_no_token(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        client.get("/v2/time_entries", params={"per_page": 7})
    r = httpx.get(f"{fresh_stack.url('harvest')}/_sim/requests").json()["requests"][-1]
    assert r["params"] == {"per_page": "7"} and r["records"] == 7 and r["status"] == 200
    assert r["headers"]["authorization"] == "Bearer" and r["headers"]["user_agent"]
    assert fresh_stack.env()["HARVEST_ACCESS_TOKEN"] not in json.dumps(r)


# 9. data realism
def test_field_shapes_match_harvest(harvest: httpx.Client) -> None:
    entries = [e for p in walk(harvest, "/v2/time_entries") for e in p["time_entries"]]
    refs = [e["external_reference"] for e in entries if e["external_reference"]]
    assert refs and all(isinstance(r["id"], str) and isinstance(r["group_id"], str) for r in refs)
    assert any(e["external_reference"] is None for e in entries)
    assert all(isinstance(e["hours"], float) for e in entries)
    assert all(re.fullmatch(r"\d{1,2}:\d\d[ap]m", e["started_time"]) for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["updated_at"]) for e in entries)
    assert any(e["invoice"] for e in entries) and any(e["invoice"] is None for e in entries)
    users = harvest.get("/v2/users").json()["users"]
    assert all(u["weekly_capacity"] in (126000, 144000) and isinstance(u["access_roles"], list) for u in users)
    assert any(u["is_contractor"] for u in users)
    invoice = harvest.get("/v2/invoices").json()["invoices"][0]
    assert invoice["line_items"] and invoice["client"]["id"]


def test_running_timer_hours_grow_without_updated_at_change(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        first = client.get("/v2/time_entries", params={"is_running": "true"}).json()["time_entries"]
        httpx.post(f"{fresh_stack.url('harvest')}/_sim/clock", json={"advance": 1800})
        second = client.get("/v2/time_entries", params={"is_running": "true"}).json()["time_entries"]
    assert len(first) == len(second) == 1 and first[0]["timer_started_at"]
    assert second[0]["hours"] == pytest.approx(first[0]["hours"] + 0.5, abs=0.011)
    assert second[0]["updated_at"] == first[0]["updated_at"]
    assert second[0]["hours_without_timer"] == first[0]["hours_without_timer"]


# 10. deletes and archiving
def test_hard_deleted_entry_leaves_no_trace(fresh_stack: SimulatorStack) -> None:
    base = fresh_stack.url("harvest")
    with harvest_client(fresh_stack) as client:
        victim = client.get("/v2/time_entries", params={"from": "2025-02-03", "to": "2025-02-03"}).json()
        entry = victim["time_entries"][0]
        httpx.post(f"{base}/_sim/mutations", json={"resource": "time_entries", "op": "delete", "id": entry["id"]})
        after = client.get("/v2/time_entries", params={"from": "2025-02-03", "to": "2025-02-03"}).json()
        assert entry["id"] not in {e["id"] for e in after["time_entries"]}
        assert after["total_entries"] == victim["total_entries"] - 1
        assert client.get(f"/v2/time_entries/{entry['id']}").status_code == 404
        since = client.get("/v2/time_entries", params={"updated_since": "2000-01-01T00:00:00Z"}).json()
        assert entry["id"] not in {e["id"] for p in [since] for e in p["time_entries"]}
    assert fresh_stack.truth()["counts"]["harvest"]["time_entries"] == fresh_stack.world().scale.time_entries - 1


def test_deleting_a_project_removes_its_time_entries_and_expenses(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        pid = client.get("/v2/expenses").json()["expenses"][0]["project"]["id"]
        assert client.get("/v2/time_entries", params={"project_id": pid}).json()["total_entries"] > 0
        fresh_stack.servers["harvest"].mutate(resource="projects", op="delete", id=pid)
        assert client.get("/v2/time_entries", params={"project_id": pid}).json()["total_entries"] == 0
        assert all(x["project"]["id"] != pid for x in client.get("/v2/expenses").json()["expenses"])
        assert pid not in {p["id"] for p in client.get("/v2/projects").json()["projects"]}


def test_archiving_sets_is_active_false_and_bumps_updated_at(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        client_row = client.get("/v2/clients").json()["clients"][0]
        fresh_stack.servers["harvest"].mutate(resource="clients", op="archive", id=client_row["id"])
        again = client.get(f"/v2/clients/{client_row['id']}").json()
    assert again["is_active"] is False and again["updated_at"] > client_row["updated_at"]


# 12. company feature flags
def test_company_flags_gate_invoices_with_403(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        assert client.get("/v2/company").json()["invoice_feature"] is True
        fresh_stack.servers["harvest"].mutate(resource="company", op="update", fields={"invoice_feature": False})
        assert client.get("/v2/company").json()["invoice_feature"] is False
        assert client.get("/v2/invoices").status_code == 403


def test_created_entry_appears_in_its_window_and_updated_since(fresh_stack: SimulatorStack) -> None:
    w = fresh_stack.world()
    entry = w.time_entry(100)
    day = (ANCHOR - timedelta(days=3)).isoformat()
    since = w.clock.iso()[:19] + "Z"
    made = fresh_stack.servers["harvest"].mutate(resource="time_entries", op="create", fields={
        "user_id": entry["user_id"], "project_id": entry["project_id"], "task_id": entry["task_id"],
        "spent_date": day, "hours": 1.5})
    with harvest_client(fresh_stack) as client:
        window = client.get("/v2/time_entries", params={"from": day, "to": day}).json()["time_entries"]
        recent = client.get("/v2/time_entries", params={"updated_since": since}).json()
    assert made["id"] in {e["id"] for e in window}
    assert [e["id"] for e in recent["time_entries"]] == [made["id"]]


# determinism
def test_same_seed_and_scale_give_byte_identical_responses() -> None:
    bodies = []
    for _ in range(2):
        stack = start_stack(["acme"], "tiny", seed=7, rate_limit_scale=0, anchor=ANCHOR, vendors=("harvest",))
        stack.world().clock.control(freeze="2025-03-14T12:00:00Z")
        try:
            with harvest_client(stack) as client:
                bodies.append([client.get(p).content for p in ("/v2/time_entries?per_page=700&page=2",
                                                               "/v2/users", "/v2/projects", "/v2/invoices")])
        finally:
            stack.stop()
    normalize = [[re.sub(rb"127\.0\.0\.1:\d+", b"HOST", b) for b in page] for page in bodies]
    assert normalize[0] == normalize[1]
