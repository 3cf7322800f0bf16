"""Fidelity items the first simulator round left open, each over real HTTP.

Harvest (harvest_forecast.md §6): the id-host's OAuth refresh and accounts (item 2), member-role tokens
(item 11), feature-gated estimates/expenses (item 12), ``/v2/reports/*`` with its own 100 / 15 min limit
(item 8); restoring a hard-deleted entry through the control plane; ``timesync simulate --vendors``.
Jira (qbo_jira.md §6): issue worklogs 404 with time tracking off; OAuth 3LO with rotation that kills the
old refresh token; the world's spread worklog ``updatedTime``s. Scale: ``large`` serves 100k QBO
TimeActivities.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from simulators.jira_worklogs import ms
from simulators.stack import SimulatorStack, main, start_stack
from simulators.world import World
from simulators.world_streams import WORKLOG_ID0
from tests.simulators.conftest import ANCHOR, forecast_client, harvest_client

WINDOW = {"from": "2025-02-03", "to": "2025-02-07"}


def harvest_as(stack: SimulatorStack, token: str) -> httpx.Client:
    e = stack.env()
    return httpx.Client(base_url=e["HARVEST_BASE_URL"], timeout=10, headers={
        "Authorization": f"Bearer {token}", "Harvest-Account-Id": e["HARVEST_ACCOUNT_ID"],
        "User-Agent": e["HARVEST_USER_AGENT"]})


def refresh(stack: SimulatorStack, **override: str) -> httpx.Response:
    e = stack.env()
    form = {"client_id": e["HARVEST_CLIENT_ID"], "client_secret": e["HARVEST_CLIENT_SECRET"],
            "refresh_token": e["HARVEST_REFRESH_TOKEN"], "grant_type": "refresh_token", **override}
    return httpx.post(f"{e['HARVEST_ID_URL']}/api/v2/oauth2/token", data=form,
                      headers={"User-Agent": e["HARVEST_USER_AGENT"]})


# --- Harvest 2: id-host ------------------------------------------------------------------------------
def test_id_host_refresh_grant_returns_a_token_for_harvest_and_forecast(fresh_stack: SimulatorStack) -> None:
    r = refresh(fresh_stack)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"access_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"] == "bearer" and isinstance(body["expires_in"], int)
    with harvest_as(fresh_stack, body["access_token"]) as client:
        assert client.get("/v2/users").status_code == 200
    with forecast_client(fresh_stack) as fc:
        fc.headers["Authorization"] = f"Bearer {body['access_token']}"
        assert fc.get("/whoami").status_code == 200
    again = refresh(fresh_stack, refresh_token=body["refresh_token"])
    assert again.status_code == 200 and again.json()["access_token"] != body["access_token"]


def test_id_host_rejects_unknown_refresh_token_and_bad_client(fresh_stack: SimulatorStack) -> None:
    bad_grant = refresh(fresh_stack, refresh_token="nope")
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_grant"
    assert refresh(fresh_stack, client_secret="wrong").status_code == 401
    assert refresh(fresh_stack, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_oauth_access_token_expires_after_expires_in(fresh_stack: SimulatorStack) -> None:
    body = refresh(fresh_stack).json()
    with harvest_as(fresh_stack, body["access_token"]) as client:
        assert client.get("/v2/company").status_code == 200
        httpx.post(f"{fresh_stack.url('harvest')}/_sim/clock", json={"advance": body["expires_in"] + 1})
        r = client.get("/v2/company")
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_id_host_accounts_lists_the_harvest_and_forecast_accounts(fresh_stack: SimulatorStack) -> None:
    e = fresh_stack.env()
    r = httpx.get(f"{e['HARVEST_ID_URL']}/api/v2/accounts", headers={
        "Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "User-Agent": e["HARVEST_USER_AGENT"]})
    assert r.status_code == 200
    accounts = r.json()["accounts"]
    assert [(a["id"], a["product"]) for a in accounts] == [
        (int(e["HARVEST_ACCOUNT_ID"]), "harvest"), (int(e["FORECAST_ACCOUNT_ID"]), "forecast")]
    assert all(a["name"] == fresh_stack.world().name for a in accounts)
    assert httpx.get(f"{e['HARVEST_ID_URL']}/api/v2/accounts", headers={
        "Authorization": "Bearer nope", "User-Agent": "t"}).status_code == 401


# --- Harvest 11: member role -------------------------------------------------------------------------
def test_member_token_sees_only_its_own_time_entries(hf_stack: SimulatorStack) -> None:
    truth = hf_stack.truth()["accounts"]
    assert hf_stack.env()["HARVEST_MEMBER_TOKEN"] == truth["harvest_member_token"]
    me = truth["harvest_member_user_id"]
    with harvest_as(hf_stack, truth["harvest_member_token"]) as member, harvest_client(hf_stack) as admin:
        assert member.get("/v2/users/me").json()["id"] == me
        mine = member.get("/v2/time_entries").json()
        assert mine["total_entries"] > 0 and {e["user"]["id"] for e in mine["time_entries"]} == {me}
        assert mine["total_entries"] == admin.get("/v2/time_entries", params={"user_id": me}).json()["total_entries"]
        other = next(e for e in admin.get("/v2/time_entries", params=WINDOW).json()["time_entries"]
                     if e["user"]["id"] != me)
        assert member.get("/v2/time_entries", params={"user_id": other["user"]["id"]}).json()["time_entries"] == []
        assert member.get(f"/v2/time_entries/{other['id']}").status_code == 404
        assert member.delete(f"/v2/time_entries/{other['id']}").status_code == 404
        assert {e["user"]["id"] for e in member.get("/v2/expenses").json()["expenses"]} <= {me}


@pytest.mark.parametrize("path", ["/v2/users", "/v2/projects", "/v2/users/1", "/v2/reports/time/projects"])
def test_member_token_gets_403_on_users_and_projects(hf_stack: SimulatorStack, path: str) -> None:
    with harvest_as(hf_stack, hf_stack.env()["HARVEST_MEMBER_TOKEN"]) as member:
        r = member.get(path, params=WINDOW)
    assert r.status_code == 403 and r.json()["code"] == 403


# --- Harvest 12: feature flags -----------------------------------------------------------------------
def test_estimates_are_403_until_the_estimate_feature_is_switched_on(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        assert client.get("/v2/company").json()["estimate_feature"] is False
        assert client.get("/v2/estimates").status_code == 403
        httpx.post(f"{fresh_stack.url('harvest')}/_sim/mutations", json={
            "resource": "company", "op": "update", "fields": {"estimate_feature": True}}).raise_for_status()
        body = client.get("/v2/estimates").json()
    assert body["estimates"] == [] and body["next_page"] is None


def test_expense_feature_off_gates_expenses_with_403(fresh_stack: SimulatorStack) -> None:
    with harvest_client(fresh_stack) as client:
        one = client.get("/v2/expenses").json()["expenses"][0]
        httpx.post(f"{fresh_stack.url('harvest')}/_sim/mutations", json={
            "resource": "company", "op": "update", "fields": {"expense_feature": False}}).raise_for_status()
        assert client.get("/v2/company").json()["expense_feature"] is False
        assert client.get("/v2/expenses").status_code == 403
        assert client.get(f"/v2/expenses/{one['id']}").status_code == 403
        assert client.get("/v2/time_entries", params=WINDOW).status_code == 200


# --- Harvest 8: reports ------------------------------------------------------------------------------
def test_time_report_by_project_sums_the_time_entries_of_the_window(harvest: httpx.Client) -> None:
    entries = harvest.get("/v2/time_entries", params=WINDOW).json()["time_entries"]
    body = harvest.get("/v2/reports/time/projects", params=WINDOW).json()
    assert set(body) >= {"results", "per_page", "total_pages", "total_entries", "page", "next_page", "links"}
    expected: Counter[int] = Counter()
    for e in entries:
        expected[e["project"]["id"]] += e["hours"]
    got = {r["project_id"]: r["total_hours"] for r in body["results"]}
    assert got == {pid: round(h, 2) for pid, h in expected.items()}
    row = body["results"][0]
    assert set(row) == {"project_id", "project_name", "client_id", "client_name", "total_hours",
                        "billable_hours", "currency", "billable_amount"}
    assert row["billable_hours"] <= row["total_hours"]
    team = harvest.get("/v2/reports/time/team", params=WINDOW).json()["results"]
    assert round(sum(r["total_hours"] for r in team), 2) == round(sum(expected.values()), 2)


def test_time_report_needs_from_and_to(harvest: httpx.Client) -> None:
    assert harvest.get("/v2/reports/time/projects", params={"from": "2025-02-03"}).status_code == 422
    assert harvest.get("/v2/reports/time/bogus", params=WINDOW).status_code == 404


def test_reports_have_their_own_100_per_15_minutes_limit() -> None:
    stack = start_stack(["acme"], "tiny", seed=1, rate_limit_scale=0.01, anchor=ANCHOR, vendors=("harvest",))
    try:
        assert stack.servers["harvest"].app.reports_limiter.config.window == pytest.approx(9.0)  # 900 s x 0.01
        httpx.post(f"{stack.url('harvest')}/_sim/rate_limit", json={"enabled": False}).raise_for_status()
        with harvest_client(stack) as client:
            codes = [client.get("/v2/reports/time/projects", params=WINDOW).status_code for _ in range(100)]
            r = client.get("/v2/reports/time/clients", params=WINDOW)
            other = client.get("/v2/time_entries", params=WINDOW)
    finally:
        stack.stop()
    assert codes == [200] * 100
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 9
    assert other.status_code == 200


# --- restore a hard-deleted entry ---------------------------------------------------------------------
def test_restored_time_entry_reappears_exactly_as_before(fresh_stack: SimulatorStack) -> None:
    base = fresh_stack.url("harvest")
    with harvest_client(fresh_stack) as client:
        entry = client.get("/v2/time_entries", params=WINDOW).json()["time_entries"][0]
        assert client.delete(f"/v2/time_entries/{entry['id']}").status_code == 200
        assert client.get(f"/v2/time_entries/{entry['id']}").status_code == 404
        r = httpx.post(f"{base}/_sim/mutations", json={"resource": "time_entries", "op": "restore", "id": entry["id"]})
        assert r.status_code == 200 and r.json()["restored"] is True
        back = client.get(f"/v2/time_entries/{entry['id']}").json()
        listed = client.get("/v2/time_entries", params=WINDOW).json()["time_entries"]
        again = httpx.post(f"{base}/_sim/mutations", json={"resource": "time_entries", "op": "restore",
                                                           "id": entry["id"]})
    assert back == entry
    assert entry["id"] in {e["id"] for e in listed}
    assert again.status_code == 400
    assert fresh_stack.truth()["counts"]["harvest"]["time_entries"] == fresh_stack.world().scale.time_entries


def test_restore_brings_back_an_edited_or_created_entry_and_can_patch_it(fresh_stack: SimulatorStack) -> None:
    server = fresh_stack.servers["harvest"]
    w = fresh_stack.world()
    base_entry = w.time_entry(10)
    server.mutate(resource="time_entries", op="update", id=base_entry["id"], fields={"hours": 7.75})
    made = server.mutate(resource="time_entries", op="create", fields={
        "user_id": base_entry["user_id"], "project_id": base_entry["project_id"],
        "task_id": base_entry["task_id"], "spent_date": "2025-02-04", "hours": 1.25})
    for rid in (base_entry["id"], made["id"]):
        server.mutate(resource="time_entries", op="delete", id=rid)
    httpx.post(f"{fresh_stack.url('harvest')}/_sim/clock", json={"advance": 5})
    server.mutate(resource="time_entries", op="restore", id=base_entry["id"])
    server.mutate(resource="time_entries", op="restore", id=made["id"], fields={"notes": "revived"})
    with harvest_client(fresh_stack) as client:
        edited = client.get(f"/v2/time_entries/{base_entry['id']}").json()
        created = client.get(f"/v2/time_entries/{made['id']}").json()
    assert edited["hours"] == 7.75
    assert created["hours"] == 1.25 and created["notes"] == "revived"
    assert created["updated_at"] > created["created_at"]


# --- timesync simulate --vendors ---------------------------------------------------------------------
@pytest.fixture
def simulate_process() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "simulators.stack", "--vendors", "jira,harvest",
                             "--rate-limit-scale", "0", "--anchor", ANCHOR.isoformat()],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_simulate_vendors_serves_only_the_chosen_vendors(simulate_process: subprocess.Popen[str]) -> None:
    env: dict[str, str] = {}
    assert simulate_process.stdout is not None
    while "TIMESYNC_CONNECTIONS" not in env:
        line = simulate_process.stdout.readline()
        assert line, "simulate exited before printing its environment"
        key, _, value = shlex.split(line)[1].partition("=")
        env[key] = value
    assert env["QBO_BASE_URL"] == "" and env["FORECAST_BASE_URL"] == ""
    r = httpx.get(f"{env['HARVEST_BASE_URL']}/v2/company", headers={
        "Authorization": f"Bearer {env['HARVEST_ACCESS_TOKEN']}", "Harvest-Account-Id": env["HARVEST_ACCOUNT_ID"],
        "User-Agent": env["HARVEST_USER_AGENT"]})
    assert r.status_code == 200
    jira = httpx.get(f"{env['JIRA_BASE_URL']}/rest/api/3/myself", auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))
    assert jira.status_code == 200
    simulate_process.terminate()
    assert simulate_process.wait(timeout=10) == 0


def test_simulate_rejects_an_unknown_vendor(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--vendors", "harvest,salesforce"])
    assert exc.value.code == 2 and "salesforce" in capsys.readouterr().err


# --- scale: large serves 100k QBO TimeActivities --------------------------------------------------------
def test_large_scale_serves_at_least_100k_qbo_time_activities() -> None:
    stack = start_stack(["acme"], "large", seed=1, rate_limit_scale=0, anchor=ANCHOR, vendors=("qbo",))
    try:
        e = stack.env()
        http = httpx.Client(base_url=e["QBO_BASE_URL"], timeout=30)
        token = http.post("/oauth2/v1/tokens/bearer", auth=(e["QBO_CLIENT_ID"], e["QBO_CLIENT_SECRET"]), data={
            "grant_type": "refresh_token", "refresh_token": e["QBO_REFRESH_TOKEN"]}).json()["access_token"]

        def query(statement: str) -> dict:
            r = http.get(f"/v3/company/{e['QBO_REALM_ID']}/query", params={"query": statement},
                         headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            return r.raise_for_status().json()["QueryResponse"]

        total = query("SELECT count(*) FROM TimeActivity")["totalCount"]
        tail = query(f"SELECT * FROM TimeActivity STARTPOSITION {total - 4} MAXRESULTS 1000")["TimeActivity"]
        past = query(f"SELECT * FROM TimeActivity STARTPOSITION {total + 1} MAXRESULTS 1000")
    finally:
        stack.stop()
    assert total >= 100_000 and total == stack.world().scale.time_activities
    assert len(tail) == 5 and past == {}


# --- Jira: time tracking off, OAuth 3LO ----------------------------------------------------------------
@pytest.fixture
def jira_stack() -> Iterator[SimulatorStack]:
    stack = start_stack(["acme", "globex"], "tiny", seed=1, rate_limit_scale=0, anchor=ANCHOR, vendors=("jira",))
    for world in stack.registry.worlds():
        world.clock.control(freeze=f"{ANCHOR.isoformat()}T12:00:00Z")
    yield stack
    stack.stop()


def jira_basic(stack: SimulatorStack, company: str = "acme") -> httpx.Client:
    e = stack.env(company)
    return httpx.Client(base_url=e["JIRA_BASE_URL"], timeout=10, auth=(e["JIRA_EMAIL"], e["JIRA_API_TOKEN"]))


def jira_refresh(stack: SimulatorStack, refresh_token: str, company: str = "acme") -> httpx.Response:
    e = stack.env(company)
    return httpx.post(e["JIRA_OAUTH_TOKEN_URL"], json={
        "grant_type": "refresh_token", "client_id": e["JIRA_OAUTH_CLIENT_ID"],
        "client_secret": e["JIRA_OAUTH_CLIENT_SECRET"], "refresh_token": refresh_token})


def test_issue_worklog_is_404_when_time_tracking_is_off_for_its_project(jira_stack: SimulatorStack) -> None:
    w = jira_stack.world()
    key = w.projects[w.jira_projects[0]]["jira_key"]
    other = w.projects[w.jira_projects[1]]["jira_key"]
    with jira_basic(jira_stack) as jira:
        assert jira.get(f"/rest/api/3/issue/{key}-1/worklog").status_code == 200
        r = httpx.post(f"{jira_stack.url('jira')}/_sim/mutations", json={
            "system": "jira", "resource": "config", "op": "configure", "fields": {"time_tracking_off": [key]}})
        assert r.json()["time_tracking_off"] == [key]
        off = jira.get(f"/rest/api/3/issue/{key}-1/worklog")
        assert jira.get(f"/rest/api/3/issue/{other}-1/worklog").status_code == 200
    assert off.status_code == 404 and off.json()["errors"] == {} and off.json()["errorMessages"]


def test_jira_oauth_refresh_rotates_and_kills_the_old_refresh_token_at_once(jira_stack: SimulatorStack) -> None:
    first = jira_refresh(jira_stack, jira_stack.env()["JIRA_OAUTH_REFRESH_TOKEN"])
    assert first.status_code == 200
    body = first.json()
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer" and "offline_access" in body["scope"]
    second = jira_refresh(jira_stack, body["refresh_token"])
    assert second.status_code == 200 and second.json()["refresh_token"] != body["refresh_token"]
    reused = jira_refresh(jira_stack, body["refresh_token"])
    assert reused.status_code == 403 and reused.json()["error"] == "invalid_grant"
    seed_again = jira_refresh(jira_stack, jira_stack.env()["JIRA_OAUTH_REFRESH_TOKEN"])
    assert seed_again.json()["error"] == "invalid_grant"
    assert jira_refresh(jira_stack, second.json()["refresh_token"], company="globex").status_code == 403


def test_jira_bearer_reads_the_gateway_form_after_accessible_resources(jira_stack: SimulatorStack) -> None:
    e = jira_stack.env()
    token = jira_refresh(jira_stack, e["JIRA_OAUTH_REFRESH_TOKEN"]).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    resources = httpx.get(e["JIRA_OAUTH_RESOURCES_URL"], headers=bearer).json()
    assert [r["id"] for r in resources] == [e["JIRA_CLOUD_ID"]] and resources[0]["scopes"]
    api = f"{jira_stack.url('jira')}/ex/jira/{resources[0]['id']}/rest/api/3"
    r = httpx.get(f"{api}/worklog/updated", params={"since": 0}, headers=bearer)
    assert r.status_code == 200 and r.json()["values"]
    assert r.json()["self"].startswith(f"{api}/worklog/updated")
    with jira_basic(jira_stack) as jira:
        basic = jira.get("/rest/api/3/worklog/updated", params={"since": 0}).json()
    assert r.json()["values"] == basic["values"]
    assert httpx.get(f"{api}/myself", auth=(e["JIRA_EMAIL"], e["JIRA_API_TOKEN"])).status_code == 401
    assert httpx.get(f"{api}/myself", headers={"Authorization": "Bearer nope"}).status_code == 401
    globex = jira_stack.env("globex")["JIRA_CLOUD_ID"]
    assert httpx.get(f"{jira_stack.url('jira')}/ex/jira/{globex}/rest/api/3/myself",
                     headers=bearer).status_code == 401
    httpx.post(f"{jira_stack.url('jira')}/_sim/clock", json={"advance": 3601})
    assert httpx.get(f"{api}/myself", headers=bearer).status_code == 401


# --- Jira world: spread updatedTimes, bulk edits below a feed page --------------------------------------
def test_world_worklog_times_are_spread_and_bulk_edits_stay_under_1000_per_instant() -> None:
    w = World("acme", "small", 1, ANCHOR)
    worklogs = [w.jira_worklog(j) for j in range(w.scale.worklogs)]
    per_instant = Counter(ms(wl["updated"]) for wl in worklogs)
    assert max(per_instant.values()) < 1000
    assert any(n > 1 for n in per_instant.values())  # bulk edits exist
    assert max(Counter(ms(wl["created"]) for wl in worklogs).values()) < 10
    assert all(wl["created"] <= wl["updated"] <= w.base_time - timedelta(hours=1) for wl in worklogs)
    assert max(wl["created"] for wl in worklogs) <= w.base_time - timedelta(hours=2)


def test_worklog_feed_serves_the_worlds_own_updated_times(jira_stack: SimulatorStack) -> None:
    w = jira_stack.world()
    seen: dict[int, int] = {}
    with jira_basic(jira_stack) as jira:
        url = "/rest/api/3/worklog/updated?since=0"
        while url:
            body = jira.get(url).json()
            seen.update((v["worklogId"], v["updatedTime"]) for v in body["values"])
            url = None if body["lastPage"] else body["nextPage"]
    assert seen == {WORKLOG_ID0 + j: ms(w.jira_worklog(j)["updated"]) for j in range(w.scale.worklogs)}


# --- determinism of the new surfaces --------------------------------------------------------------------
def test_reports_and_oauth_tokens_are_byte_identical_for_one_seed() -> None:
    runs = []
    for _ in range(2):
        stack = start_stack(["acme"], "tiny", seed=7, rate_limit_scale=0, anchor=ANCHOR, vendors=("harvest", "jira"))
        stack.world().clock.control(freeze=f"{ANCHOR.isoformat()}T12:00:00Z")
        try:
            with harvest_client(stack) as client:
                bodies = [client.get(f"/v2/reports/time/{kind}", params=WINDOW).content
                          for kind in ("clients", "projects", "tasks", "team")]
            bodies.append(refresh(stack).content)
            bodies.append(jira_refresh(stack, stack.env()["JIRA_OAUTH_REFRESH_TOKEN"]).content)
        finally:
            stack.stop()
        runs.append([re.sub(rb"127\.0\.0\.1:\d+", b"HOST", b) for b in bodies])
    assert runs[0] == runs[1]
