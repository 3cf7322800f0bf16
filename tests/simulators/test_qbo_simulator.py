"""The QBO simulator over real HTTP: one test per fidelity item of qbo_jira.md §6."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import httpx
import pytest

from simulators.framework import SimServer
from simulators.qbo import build_qbo_simulator
from simulators.world import World, WorldRegistry

ANCHOR = date(2026, 6, 1)


class Qbo:
    def __init__(self, server: SimServer, world: World) -> None:
        self.server, self.world = server, world
        self.http = httpx.Client(base_url=server.base_url, timeout=10)
        self.token = self.refresh(world.qbo_refresh_token).json()["access_token"]

    def refresh(self, refresh_token: str) -> httpx.Response:
        basic = base64.b64encode(f"{self.world.qbo_client_id}:{self.world.qbo_client_secret}".encode()).decode()
        return self.http.post("/oauth2/v1/tokens/bearer", headers={"Authorization": f"Basic {basic}"},
                              data={"grant_type": "refresh_token", "refresh_token": refresh_token})

    def get(self, path: str, realm: str | None = None, **params: str) -> httpx.Response:
        return self.http.get(f"/v3/company/{realm or self.world.qbo_realm_id}/{path}", params=params,
                             headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})

    def query(self, statement: str) -> httpx.Response:
        return self.get("query", query=statement, minorversion="75")

    def rows(self, statement: str) -> list[dict]:
        body = self.query(statement).json()["QueryResponse"]
        return next((v for v in body.values() if isinstance(v, list)), [])

    def mutate(self, **mutation: object) -> dict:
        return self.server.mutate(**mutation)


def start(seed: int = 1) -> tuple[SimServer, World]:
    world = World("acme", "tiny", seed, ANCHOR)
    world.clock.control(freeze="2026-06-01T12:00:00Z")
    return build_qbo_simulator(WorldRegistry([world])).start(), world


@pytest.fixture()
def qbo() -> Iterator[Qbo]:
    server, world = start()
    client = Qbo(server, world)
    yield client
    server.stop()


def test_unknown_realm_is_rejected_with_a_fault(qbo: Qbo) -> None:
    response = qbo.get("query", realm="999", query="SELECT * FROM Customer")
    assert response.status_code == 403
    assert response.json()["fault"]["error"][0]["code"] == "3201"


def test_every_response_has_time_and_intuit_tid(qbo: Qbo) -> None:
    for response in (qbo.query("SELECT * FROM Item"), qbo.query("SELECT * FROM Nope"),
                     qbo.get("query", realm="999", query="x")):
        assert response.headers["intuit_tid"]
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-08:00$", response.json()["time"])


def test_query_past_the_end_returns_empty_query_response(qbo: Qbo) -> None:
    assert qbo.query("SELECT * FROM Customer STARTPOSITION 500 MAXRESULTS 10").json()["QueryResponse"] == {}


def test_start_position_is_one_based_and_max_results_counts_rows_returned(qbo: Qbo) -> None:
    everything = qbo.rows("SELECT * FROM TimeActivity ORDERBY Metadata.LastUpdatedTime MAXRESULTS 1000")
    page = qbo.query("SELECT * FROM TimeActivity ORDER BY Metadata.LastUpdatedTime STARTPOSITION 2 MAXRESULTS 3")
    body = page.json()["QueryResponse"]
    assert [r["Id"] for r in body["TimeActivity"]] == [r["Id"] for r in everything[1:4]]
    assert body["startPosition"] == 2 and body["maxResults"] == 3 and "totalCount" not in body
    tail = qbo.query(f"SELECT * FROM TimeActivity STARTPOSITION {len(everything) - 1} MAXRESULTS 10")
    assert tail.json()["QueryResponse"]["maxResults"] == 2


def test_count_query_returns_only_total_count(qbo: Qbo) -> None:
    body = qbo.query("SELECT count(*) FROM TimeActivity").json()["QueryResponse"]
    assert body == {"totalCount": qbo.world.scale.time_activities}


@pytest.mark.parametrize("statement", [
    "SELECT * FROM Customer WHERE Id = '1' OR Id = '2'",
    "SELECT * FROM Customer GROUP BY Active",
    "SELECT * FROM Customer JOIN Invoice",
    "SELECT Id, DisplayName FROM Customer",
])
def test_or_join_group_by_and_projections_are_400_faults(qbo: Qbo, statement: str) -> None:
    response = qbo.query(statement)
    assert response.status_code == 400
    assert response.json()["Fault"]["type"] == "ValidationFault"


def test_maxresults_over_1000_is_rejected(qbo: Qbo) -> None:
    response = qbo.query("SELECT * FROM TimeActivity MAXRESULTS 1001")
    assert response.status_code == 400 and "MAXRESULTS" in response.json()["Fault"]["Error"][0]["Detail"]


def test_entity_name_is_case_sensitive(qbo: Qbo) -> None:
    assert qbo.query("SELECT * FROM customer").status_code == 400


def test_inactive_customers_hidden_without_active_in_clause(qbo: Qbo) -> None:
    inactive = {c["qbo_customer_id"] for c in qbo.world.clients if not c["is_active"]}
    assert inactive
    visible = {r["Id"] for r in qbo.rows("SELECT * FROM Customer MAXRESULTS 1000")}
    every = {r["Id"] for r in qbo.rows("SELECT * FROM Customer WHERE Active IN (true, false) MAXRESULTS 1000")}
    assert not inactive & visible and inactive <= every


def test_like_in_and_offset_timestamp_comparisons(qbo: Qbo) -> None:
    named = qbo.rows("SELECT * FROM Customer WHERE DisplayName LIKE '%northwind%'")
    assert named and all("northwind" in r["DisplayName"].lower() for r in named)
    assert {r["Id"] for r in qbo.rows("SELECT * FROM Item WHERE Id IN ('1', '2')")} == {"1", "2"}
    rows = qbo.rows("SELECT * FROM TimeActivity ORDERBY Metadata.LastUpdatedTime MAXRESULTS 1000")
    pivot = datetime.fromisoformat(rows[len(rows) // 2]["MetaData"]["LastUpdatedTime"])
    in_utc = pivot.astimezone(UTC).isoformat()  # same instant, another offset
    after = qbo.rows(f"SELECT * FROM TimeActivity WHERE Metadata.LastUpdatedTime > '{in_utc}' MAXRESULTS 1000")
    assert after and all(datetime.fromisoformat(r["MetaData"]["LastUpdatedTime"]) > pivot for r in after)
    same = qbo.rows(f"SELECT * FROM TimeActivity WHERE Metadata.LastUpdatedTime >= '{in_utc}' MAXRESULTS 1000")
    assert len(same) > len(after)


def test_properties_without_value_are_omitted(qbo: Qbo) -> None:
    rows = qbo.rows("SELECT * FROM TimeActivity MAXRESULTS 1000")
    assert any("CustomerRef" not in r for r in rows) and any("CustomerRef" in r for r in rows)
    assert all(None not in r.values() for r in rows)


def test_sub_customers_have_job_parent_level_and_qualified_name(qbo: Qbo) -> None:
    jobs = qbo.rows("SELECT * FROM Customer WHERE Job = true MAXRESULTS 1000")
    assert jobs
    for job in jobs:
        assert job["Level"] == 1 and job["ParentRef"]["value"]
        assert job["FullyQualifiedName"] == f"{job['ParentRef']['name']}:{job['DisplayName']}"


def test_time_activities_cover_employees_vendors_and_decimal_rates(qbo: Qbo) -> None:
    rows = qbo.rows("SELECT * FROM TimeActivity MAXRESULTS 1000")
    assert {r["NameOf"] for r in rows} == {"Employee", "Vendor"}
    assert all(("EmployeeRef" in r) == (r["NameOf"] == "Employee") for r in rows)
    assert any(r["HourlyRate"] != int(r["HourlyRate"]) for r in rows)
    assert any("StartTime" in r for r in rows) and any("Hours" in r for r in rows)


def test_last_updated_times_have_company_offset_and_many_ties(qbo: Qbo) -> None:
    stamps = [r["MetaData"]["LastUpdatedTime"] for r in qbo.rows("SELECT * FROM Customer MAXRESULTS 1000")]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-08:00$", s) for s in stamps)
    assert len(set(stamps)) < len(stamps) / 2


def test_updated_row_moves_to_the_end_and_bumps_sync_token(qbo: Qbo) -> None:
    statement = "SELECT * FROM Invoice ORDERBY Metadata.LastUpdatedTime MAXRESULTS 1000"
    first = qbo.rows(statement)[0]
    qbo.world.clock.control(advance=5)
    qbo.mutate(system="qbo", resource="Invoice", op="update", id=first["Id"], fields={"PrivateNote": "edited"})
    rows = qbo.rows(statement)
    assert rows[-1]["Id"] == first["Id"] and int(rows[-1]["SyncToken"]) == int(first["SyncToken"]) + 1


def test_cdc_older_than_30_days_is_rejected(qbo: Qbo) -> None:
    response = qbo.get("cdc", entities="Invoice", changedSince="2026-04-20T00:00:00-08:00")
    assert response.status_code == 400 and response.json()["Fault"]["Error"][0]["element"] == "changedSince"


def test_cdc_rejects_time_activity(qbo: Qbo) -> None:
    assert qbo.get("cdc", entities="TimeActivity", changedSince="2026-05-20").status_code == 400


def test_cdc_reports_deletes_as_tombstones(qbo: Qbo) -> None:
    invoice = qbo.rows("SELECT * FROM Invoice MAXRESULTS 1")[0]
    qbo.mutate(system="qbo", resource="Invoice", op="delete", id=invoice["Id"])
    body = qbo.get("cdc", entities="Invoice,Customer", changedSince="2026-05-25").json()
    entities = body["CDCResponse"][0]["QueryResponse"]
    tombstones = [r for r in entities[0]["Invoice"] if r.get("status") == "Deleted"]
    assert tombstones == [{"Id": invoice["Id"], "status": "Deleted", "domain": "QBO",
                           "MetaData": {"LastUpdatedTime": "2026-06-01T04:00:00-08:00"}}]
    assert "time" in body


def test_cdc_returns_at_most_1000_objects(qbo: Qbo) -> None:
    for n in range(1005):
        qbo.mutate(system="qbo", resource="Customer", op="create", fields={"DisplayName": f"New {n}", "Active": True})
    body = qbo.get("cdc", entities="Customer,Invoice", changedSince="2026-05-31").json()
    sizes = [len(next(iter(v.values()), [])) if v else 0 for v in body["CDCResponse"][0]["QueryResponse"]]
    assert sum(sizes) == 1000


def test_batch_answers_each_item_by_bid(qbo: Qbo) -> None:
    items = [{"bId": "a", "Query": "SELECT * FROM Item MAXRESULTS 2"}, {"bId": "b", "Query": "SELECT * FROM Nope"}]
    response = qbo.http.post(f"/v3/company/{qbo.world.qbo_realm_id}/batch", json={"BatchItemRequest": items},
                             headers={"Authorization": f"Bearer {qbo.token}"})
    out = {r["bId"]: r for r in response.json()["BatchItemResponse"]}
    assert len(out["a"]["QueryResponse"]["Item"]) == 2 and "Fault" in out["b"]


def test_fault_can_arrive_with_http_200(qbo: Qbo) -> None:
    qbo.server.add_fault({"kind": "custom", "name": "fault_in_200", "path": "/query"})
    response = qbo.query("SELECT * FROM Item")
    assert response.status_code == 200 and response.json()["Fault"]["type"] == "SystemFault"


def test_expired_access_token_gets_401(qbo: Qbo) -> None:
    qbo.mutate(system="qbo", resource="oauth", op="expire_access_tokens")
    response = qbo.query("SELECT * FROM Item")
    assert response.status_code == 401 and response.json()["fault"]["error"][0]["code"] == "3200"


def test_501st_request_in_a_minute_is_throttled(qbo: Qbo) -> None:
    statuses = [qbo.get("query", query="SELECT count(*) FROM Item").status_code for _ in range(501)]
    assert statuses[:500] == [200] * 500 and statuses[500] == 429
    error = qbo.query("SELECT * FROM Item").json()["Fault"]["Error"][0]
    assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"


def test_eleventh_concurrent_request_is_throttled(qbo: Qbo) -> None:
    key = f"realm:{qbo.world.qbo_realm_id}"
    for _ in range(10):
        assert qbo.server.app.limiter.enter(key)
    try:
        assert qbo.query("SELECT * FROM Item").status_code == 429
    finally:
        for _ in range(10):
            qbo.server.app.limiter.leave(key)
    assert qbo.query("SELECT * FROM Item").status_code == 200


def test_throttle_can_come_back_as_xml(qbo: Qbo) -> None:
    qbo.server.add_fault({"kind": "custom", "name": "throttle_xml", "path": "/query"})
    response = qbo.query("SELECT * FROM Item")
    assert response.status_code == 429 and response.headers["Content-Type"] == "application/xml"
    assert "errorCode=003001" in response.text


def test_refresh_rotates_refresh_token_and_reports_expires_in(qbo: Qbo) -> None:
    body = qbo.refresh(qbo.world.qbo_refresh_token).json()
    assert body["expires_in"] == 3600 and body["refresh_token"] != qbo.world.qbo_refresh_token


def test_rotated_refresh_token_stops_working_after_grace_period(qbo: Qbo) -> None:
    qbo.mutate(system="qbo", resource="oauth", op="configure", fields={"grace_seconds": 60})
    old = qbo.world.qbo_refresh_token  # already rotated by the fixture's first refresh
    within = qbo.refresh(old)
    assert within.status_code == 200
    qbo.world.clock.control(advance=61)
    late = qbo.refresh(old)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert qbo.refresh(within.json()["refresh_token"]).status_code == 200


def test_rotation_every_nth_refresh_keeps_token_in_between(qbo: Qbo) -> None:
    qbo.mutate(system="qbo", resource="oauth", op="configure", fields={"rotate_every": 3})
    token = qbo.mutate(system="qbo", resource="oauth", op="issue_refresh_token")["refresh_token"]
    seen = [qbo.refresh(token).json()["refresh_token"] for _ in range(2)]
    assert seen == [token, token]
    assert qbo.refresh(token).json()["refresh_token"] != token


def test_forced_invalid_grant(qbo: Qbo) -> None:
    qbo.mutate(system="qbo", resource="oauth", op="configure", fields={"force_invalid_grant": True})
    response = qbo.refresh(qbo.world.qbo_refresh_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_token_endpoint_counts_refreshes(qbo: Qbo) -> None:
    before = qbo.server.truth()["qbo"]["oauth"]["refresh_count"]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: qbo.refresh(qbo.world.qbo_refresh_token), range(2)))
    assert qbo.server.truth()["qbo"]["oauth"]["refresh_count"] == before + 2


def test_deleted_time_activity_only_disappears_from_id_listing(qbo: Qbo) -> None:
    victim = qbo.rows("SELECT * FROM TimeActivity MAXRESULTS 1")[0]["Id"]
    qbo.mutate(system="qbo", resource="TimeActivity", op="delete", id=victim)
    assert victim not in {r["Id"] for r in qbo.rows("SELECT * FROM TimeActivity MAXRESULTS 1000")}
    assert qbo.server.truth()["counts"]["qbo"]["TimeActivity"] == qbo.world.scale.time_activities - 1


def test_deactivated_customer_is_hidden_and_changed(qbo: Qbo) -> None:
    qbo.mutate(system="qbo", resource="Customer", op="deactivate", id="1")
    assert "1" not in {r["Id"] for r in qbo.rows("SELECT * FROM Customer MAXRESULTS 1000")}
    changed = qbo.rows("SELECT * FROM Customer WHERE Active = false MAXRESULTS 1000")
    assert any(r["Id"] == "1" and r["SyncToken"] == "1" for r in changed)


def test_same_seed_gives_byte_identical_responses() -> None:
    bodies = []
    for _ in range(2):
        server, world = start(seed=7)
        client = Qbo(server, world)
        bodies.append([client.query(q).content for q in (
            "SELECT * FROM TimeActivity STARTPOSITION 5 MAXRESULTS 50", "SELECT * FROM Customer",
            "SELECT * FROM Invoice")])
        server.stop()
    assert bodies[0] == bodies[1]
