"""The Jira Cloud simulator over real HTTP: one test per fidelity item of qbo_jira.md §6."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from simulators.framework import SimServer
from simulators.jira import build_jira_simulator
from simulators.world import World, WorldRegistry

ANCHOR = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
JIRA_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")


class Jira:
    def __init__(self, server: SimServer, world: World) -> None:
        self.server, self.world = server, world
        self.http = httpx.Client(base_url=f"{server.base_url}/site/{world.jira_site}", timeout=10,
                                 auth=(world.jira_email, world.jira_api_token))

    def mutate(self, resource: str, op: str, id: object = None, **fields: object) -> dict:  # noqa: A002
        return self.server.mutate(system="jira", resource=resource, op=op, id=id, fields=fields)

    def issue_key(self, n: int = 0) -> str:
        project = self.world.projects[self.world.jira_projects[0]]["jira_key"]
        return f"{project}-{n + 1}"

    def updated_ids(self, since: int = 0) -> list[int]:
        return [v["worklogId"] for v in self.http.get("/rest/api/3/worklog/updated", params={"since": since})
                .json()["values"]]


def start(seed: int = 1) -> tuple[SimServer, World]:
    world = World("acme", "tiny", seed, ANCHOR)
    world.clock.control(freeze=NOW.isoformat())
    return build_jira_simulator(WorldRegistry([world])).start(), world


@pytest.fixture()
def jira() -> Iterator[Jira]:
    server, world = start()
    yield Jira(server, world)
    server.stop()


def test_bad_api_token_is_401_with_error_messages(jira: Jira) -> None:
    url = f"{jira.server.base_url}/site/{jira.world.jira_site}/rest/api/3/myself"
    response = httpx.get(url, auth=(jira.world.jira_email, "wrong"))
    assert response.status_code == 401
    assert set(response.json()) == {"errorMessages", "errors"} and response.json()["errors"] == {}


def test_myself_reports_the_users_time_zone(jira: Jira) -> None:
    assert jira.http.get("/rest/api/3/myself").json()["timeZone"] == "America/Los_Angeles"


@pytest.mark.parametrize("path", ["/rest/api/3/search", "/rest/api/2/search"])
def test_removed_search_endpoint_is_410(jira: Jira, path: str) -> None:
    response = jira.http.get(path, params={"jql": "project = X"})
    assert response.status_code == 410 and "/rest/api/3/search/jql" in response.json()["errorMessages"][0]


def test_unbounded_jql_is_400(jira: Jira) -> None:
    response = jira.http.post("/rest/api/3/search/jql", json={"jql": "ORDER BY updated"})
    assert response.status_code == 400 and "Unbounded" in response.json()["errorMessages"][0]


def test_search_returns_only_ids_by_default(jira: Jira) -> None:
    key = jira.issue_key().split("-")[0]
    issues = jira.http.get("/rest/api/3/search/jql", params={"jql": f"project = {key}"}).json()["issues"]
    assert issues and all(set(i) == {"id"} for i in issues)


def test_search_pages_by_token_absent_on_last_page_without_total(jira: Jira) -> None:
    key = jira.issue_key().split("-")[0]
    seen, token, pages = [], None, 0
    while True:
        body = {"jql": f"project = {key} ORDER BY key", "maxResults": 4, "fields": ["summary"]}
        if token:
            body["nextPageToken"] = token
        page = jira.http.post("/rest/api/3/search/jql", json=body).json()
        assert "total" not in page
        seen += [i["key"] for i in page["issues"]]
        pages += 1
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            break
    assert len(seen) == len(set(seen)) == jira.world.scale.issues_per_project and pages > 1


def test_updated_clause_is_read_in_the_users_time_zone(jira: Jira) -> None:
    key = jira.issue_key().split("-")[0]
    fields = ["updated"]
    every = jira.http.post("/rest/api/3/search/jql", json={"jql": f"project = {key}", "maxResults": 100,
                                                            "fields": fields}).json()["issues"]
    stamps = sorted(datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.000%z") for i in every)
    pivot = stamps[len(stamps) // 2]
    local = pivot.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M")
    body = {"jql": f'project = {key} AND updated >= "{local}"', "maxResults": 100, "fields": fields}
    got = jira.http.post("/rest/api/3/search/jql", json=body).json()["issues"]
    expected = [s for s in stamps if s >= pivot.replace(second=0)]
    assert len(got) == len(expected)


def test_embedded_worklog_is_capped_at_20_with_true_total(jira: Jira) -> None:
    key = jira.issue_key(1)
    jira.mutate("worklogs", "bulk_create", issue=key, count=25, seconds=900)
    issue = jira.http.post("/rest/api/3/search/jql", json={"jql": f"key = {key}", "fields": ["worklog"]}).json()
    worklog = issue["issues"][0]["fields"]["worklog"]
    assert len(worklog["worklogs"]) == 20 and worklog["total"] >= 25


def test_issue_worklog_endpoint_returns_5000_by_default_and_true_total(jira: Jira) -> None:
    key = jira.issue_key(2)
    jira.mutate("worklogs", "bulk_create", issue=key, count=5001, seconds=600)
    body = jira.http.get(f"/rest/api/3/issue/{key}/worklog").json()
    assert body["maxResults"] == 5000 and len(body["worklogs"]) == 5000 and body["total"] >= 5001
    rest = jira.http.get(f"/rest/api/3/issue/{key}/worklog", params={"startAt": 5000}).json()
    assert len(rest["worklogs"]) == body["total"] - 5000


def test_issue_worklog_filters_by_started_window(jira: Jira) -> None:
    key = jira.issue_key(3)
    jira.mutate("worklogs", "create", issue=key, started="2026-05-10T09:00:00+00:00", seconds=600)
    after = int(datetime(2026, 5, 10, tzinfo=UTC).timestamp() * 1000)
    body = jira.http.get(f"/rest/api/3/issue/{key}/worklog",
                         params={"startedAfter": after, "startedBefore": after + 86_400_000}).json()
    assert body["total"] >= 1 and all(w["started"].startswith("2026-05-10") for w in body["worklogs"])


def test_worklog_updated_feed_is_oldest_first_1000_per_page(jira: Jira) -> None:
    jira.mutate("worklogs", "bulk_create", issue=jira.issue_key(), count=700)
    jira.world.clock.control(advance=120)
    first = jira.http.get("/rest/api/3/worklog/updated", params={"since": 0}).json()
    assert len(first["values"]) == 1000 and not first["lastPage"]
    assert first["nextPage"].endswith(f"since={first['until']}")
    times = [v["updatedTime"] for v in first["values"]]
    assert times == sorted(times) and all(isinstance(v["worklogId"], int) for v in first["values"])
    second = httpx.get(first["nextPage"], auth=(jira.world.jira_email, jira.world.jira_api_token)).json()
    assert second["lastPage"] and "nextPage" not in second
    ids = {v["worklogId"] for v in first["values"]} | {v["worklogId"] for v in second["values"]}
    assert len(ids) == jira.world.scale.worklogs + 700


def test_worklog_changed_10_seconds_ago_is_not_yet_in_updated_feed(jira: Jira) -> None:
    made = jira.mutate("worklogs", "create", issue=jira.issue_key(), seconds=1800)
    jira.world.clock.control(advance=10)
    assert made["id"] not in jira.updated_ids(NOW_MS - 1000)
    jira.world.clock.control(advance=55)
    assert made["id"] in jira.updated_ids(NOW_MS - 1000)


def test_feed_lag_is_configurable(jira: Jira) -> None:
    jira.mutate("config", "configure", lag_seconds=0)
    made = jira.mutate("worklogs", "create", issue=jira.issue_key(), seconds=1800)
    assert made["id"] in jira.updated_ids(NOW_MS - 1000)


def test_deleted_worklog_appears_in_deleted_feed(jira: Jira) -> None:
    jira.mutate("config", "configure", lag_seconds=0)
    victim = jira.updated_ids()[0]
    jira.mutate("worklogs", "delete", id=victim)
    feed = jira.http.get("/rest/api/3/worklog/deleted", params={"since": NOW_MS - 1000}).json()
    assert [v["worklogId"] for v in feed["values"]] == [victim] and feed["lastPage"]
    assert victim not in jira.updated_ids()
    assert jira.http.post("/rest/api/3/worklog/list", json={"ids": [victim]}).json() == []


def test_bulk_edit_shares_one_updated_time(jira: Jira) -> None:
    jira.mutate("config", "configure", lag_seconds=0)
    ids = jira.updated_ids()[:5]
    jira.mutate("worklogs", "update", ids=ids, comment="bulk")
    values = jira.http.get("/rest/api/3/worklog/updated", params={"since": NOW_MS - 1000}).json()["values"]
    assert {v["worklogId"] for v in values} == set(ids) and len({v["updatedTime"] for v in values}) == 1


@pytest.mark.parametrize("count", [0, 1001])
def test_worklog_list_with_0_or_1001_ids_is_400(jira: Jira, count: int) -> None:
    response = jira.http.post("/rest/api/3/worklog/list", json={"ids": list(range(1, count + 1))})
    assert response.status_code == 400 and response.json()["errorMessages"]


def test_worklog_list_with_1001_ids_is_400(jira: Jira) -> None:
    assert jira.http.post("/rest/api/3/worklog/list", json={"ids": list(range(1001))}).status_code == 400


def test_worklog_list_omits_unknown_ids_and_uses_string_ids(jira: Jira) -> None:
    known = jira.updated_ids()[:3]
    rows = jira.http.post("/rest/api/3/worklog/list", json={"ids": [*known, 1, 2]}).json()
    assert sorted(int(r["id"]) for r in rows) == sorted(known)
    assert all(isinstance(r["id"], str) and isinstance(r["issueId"], str) for r in rows)


def test_worklog_bodies_use_jira_timestamps_and_adf_comments(jira: Jira) -> None:
    rows = jira.http.post("/rest/api/3/worklog/list", json={"ids": jira.updated_ids()[:50]}).json()
    for row in rows:
        assert all(JIRA_TS.match(row[k]) for k in ("created", "updated", "started"))
        assert row["comment"]["type"] == "doc" and row["timeSpentSeconds"] > 0


def test_some_authors_hide_email_and_some_worklogs_have_visibility(jira: Jira) -> None:
    ids = jira.updated_ids()
    rows = [r for n in range(0, len(ids), 1000)
            for r in jira.http.post("/rest/api/3/worklog/list", json={"ids": ids[n:n + 1000]}).json()]
    assert any("emailAddress" not in r["author"] for r in rows)
    assert any("emailAddress" in r["author"] for r in rows)
    assert any(r.get("visibility", {}).get("type") == "group" for r in rows)


def test_users_search_is_a_bare_array_with_null_emails_and_mixed_types(jira: Jira) -> None:
    users = jira.http.get("/rest/api/3/users/search", params={"maxResults": 1000}).json()
    assert isinstance(users, list)
    assert {u["accountType"] for u in users} >= {"atlassian", "app", "customer"}
    assert any(not u["active"] for u in users) and any("emailAddress" not in u for u in users)
    assert any(e != e.strip() or e != e.lower() for u in users if (e := u.get("emailAddress")))


def test_project_search_caps_max_results_at_100_and_reports_is_last(jira: Jira) -> None:
    body = jira.http.get("/rest/api/3/project/search", params={"maxResults": 500}).json()
    assert body["maxResults"] == 100 and body["isLast"] is True
    small = jira.http.get("/rest/api/3/project/search", params={"maxResults": 2}).json()
    assert not small["isLast"] and "startAt=2" in small["nextPage"]


def test_429_carries_retry_after_and_rate_limit_headers(jira: Jira) -> None:
    jira.server.set_rate_limit(limit=3, window=30)
    statuses = [jira.http.get("/rest/api/3/myself") for _ in range(4)]
    throttled = statuses[-1]
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.headers["RateLimit-Reason"] == "jira-burst-based"
    assert throttled.headers["X-RateLimit-Remaining"] == "0"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$", throttled.headers["X-RateLimit-Reset"])
    assert jira.http.get("/rest/api/3/myself").status_code == 429  # retried before Retry-After


def test_near_limit_header_under_20_percent(jira: Jira) -> None:
    jira.server.set_rate_limit(limit=10, window=30)
    responses = [jira.http.get("/rest/api/3/myself") for _ in range(9)]
    assert "X-RateLimit-NearLimit" not in responses[0].headers
    assert responses[-1].headers["X-RateLimit-NearLimit"] == "true"


def test_503_with_retry_after_can_be_injected(jira: Jira) -> None:
    jira.server.add_fault({"kind": "custom", "name": "unavailable_503", "path": "/worklog/updated"})
    response = jira.http.get("/rest/api/3/worklog/updated", params={"since": 0})
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_even_worklogs_copy_a_harvest_entry(jira: Jira) -> None:
    truth = jira.server.truth()
    assert truth["duplicate_pair_count"] > 0
    pair = truth["duplicate_pairs"][0]
    row = jira.http.post("/rest/api/3/worklog/list", json={"ids": [int(pair["jira_worklog_id"])]}).json()[0]
    entry = jira.world.time_entry(pair["harvest_entry_id"] - 2_400_000_000)
    assert row["issueId"] == pair["jira_issue_id"] and row["timeSpentSeconds"] == int(entry["hours"] * 3600)
    assert row["started"].startswith(entry["spent_date"].isoformat())


def test_same_seed_gives_byte_identical_responses() -> None:
    bodies = []
    for _ in range(2):
        server, world = start(seed=5)
        client = Jira(server, world)
        ids = client.updated_ids()[:100]
        responses = [client.http.post("/rest/api/3/worklog/list", json={"ids": ids}).content,
                     client.http.get("/rest/api/3/worklog/updated", params={"since": 0}).content]
        # only the server's own address (a free port) may differ
        bodies.append([r.replace(server.base_url.encode(), b"SERVER") for r in responses])
        server.stop()
    assert bodies[0] == bodies[1]
