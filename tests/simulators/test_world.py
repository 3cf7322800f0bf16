"""The seeded world: determinism, derived streams, the mess it carries and the truth it records."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from simulators.stack import SimulatorStack
from simulators.world import World
from tests.simulators.conftest import ANCHOR


def test_same_inputs_give_the_same_world_and_a_new_seed_another() -> None:
    a, b, c = World("acme", "tiny", 3, ANCHOR), World("acme", "tiny", 3, ANCHOR), World("acme", "tiny", 4, ANCHOR)
    assert [a.time_entry(i) for i in range(0, 2500, 97)] == [b.time_entry(i) for i in range(0, 2500, 97)]
    assert [a.time_entry(i) for i in range(50)] != [c.time_entry(i) for i in range(50)]
    for w in (a, b):
        w.clock.control(freeze="2025-03-14T12:00:00Z")
    assert a.truth() == b.truth()


def test_dates_are_monotone_in_the_index_and_windows_are_ranges() -> None:
    w = World("acme", "small", 1, ANCHOR)
    days = [w.time_entry(i)["spent_date"] for i in range(0, w.scale.time_entries, 37)]
    assert days == sorted(days)
    assert days[0] <= ANCHOR - timedelta(days=360) and days[-1] > ANCHOR
    lo, hi = w.entry_dates.index_range(ANCHOR - timedelta(days=7), ANCHOR - timedelta(days=1))
    assert all(ANCHOR - timedelta(days=7) <= w.time_entry(i)["spent_date"] < ANCHOR for i in range(lo, hi))
    assert w.time_entry(lo - 1)["spent_date"] < ANCHOR - timedelta(days=7) <= w.time_entry(hi)["spent_date"] or \
        w.time_entry(hi)["spent_date"] >= ANCHOR


def test_large_scale_records_are_derived_on_demand() -> None:
    started = time.perf_counter()
    w = World("acme", "large", 1, ANCHOR)
    last = w.time_entry(w.scale.time_entries - 1)
    worklog = w.jira_worklog(w.scale.worklogs - 2)
    assert time.perf_counter() - started < 3
    assert w.scale.time_entries >= 1_000_000 and w.scale.worklogs >= 500_000
    assert last["spent_date"] >= ANCHOR and worklog["harvest_entry_id"] is not None


def test_jira_copies_match_their_harvest_entry() -> None:
    w = World("acme", "tiny", 1, ANCHOR)
    for j in range(0, 40, 2):
        wl = w.jira_worklog(j)
        entry = w.time_entry(wl["harvest_entry_id"] - 2_400_000_000)
        assert entry["linked_worklog_index"] == j
        assert str(entry["jira_issue_id"]) == str(wl["issue_id"])
        assert wl["started"].date() == entry["spent_date"] and wl["seconds"] == entry["hours"] * 3600
        assert w.people[wl["person_index"]]["harvest_user_id"] == entry["user_id"]
    assert w.jira_worklog(1)["harvest_entry_id"] is None


def test_the_world_carries_the_documented_mess() -> None:
    truth = World("acme", "tiny", 1, ANCHOR).truth()
    people = truth["people"]
    assert any(p["jira_email_hidden"] for p in people)
    assert any(len({e for e in p["emails"].values() if e}) > 1 for p in people)
    assert all({e.strip().lower() for e in p["emails"].values() if e} <= {p["email_normalized"]} for p in people)
    assert any(p["qbo_vendor_id"] and p["is_contractor"] for p in people)
    assert any(not p["active"] and p["jira_account_id"] for p in people)
    assert sum(1 for p in truth["projects"] if p["forecast_project_id"] and p["harvest_project_id"] is None) == 1
    assert any(c["qbo_name_differs"] for c in truth["clients"])
    assert any(c["qbo_ambiguous_with"] for c in truth["clients"])
    assert any(p["archived"] for p in truth["projects"])
    assert truth["running_timer"] is not None


def test_dedup_hours_count_each_unit_of_work_once() -> None:
    w = World("acme", "tiny", 1, ANCHOR)
    w.clock.control(freeze="2025-03-14T12:00:00Z")
    truth = w.truth()
    harvest = sum(w.time_entry(i)["hours"] for i in range(w.scale.time_entries) if i != w.running_index)
    harvest += truth["running_timer"]["hours_now"]
    jira_all = sum(w.jira_worklog(j)["seconds"] for j in range(w.scale.worklogs)) / 3600
    paired = sum(w.jira_worklog(j)["seconds"] for j in range(0, w.scale.worklogs, 2)) / 3600
    qbo = sum(t["hours"] + t["minutes"] / 60 for t in (w.time_activity(k) for k in range(w.scale.time_activities)))
    total = sum(r["hours"] for r in truth["dedup_hours"])
    assert truth["duplicate_pair_count"] == w.scale.worklogs // 2 == len(truth["duplicate_pairs"])
    assert abs(total - (harvest + jira_all - paired + qbo)) < 0.01
    assert any(r["harvest_project_id"] is None for r in truth["dedup_hours"])


def test_truth_follows_mutations() -> None:
    w = World("acme", "tiny", 1, ANCHOR)
    before = w.truth()
    linked = w.jira_worklog(0)["harvest_entry_id"]
    w.mutate("harvest", "time_entries", "delete", linked)
    after = w.truth()
    assert after["counts"]["harvest"]["time_entries"] == before["counts"]["harvest"]["time_entries"] - 1
    assert after["duplicate_pair_count"] == before["duplicate_pair_count"] - 1
    total = sum(r["hours"] for r in after["dedup_hours"])
    removed = w.time_entry(linked - 2_400_000_000)["hours"]
    # the Jira copy now counts on its own, so the deduplicated total is unchanged
    assert abs(total - sum(r["hours"] for r in before["dedup_hours"])) < 1e-6 or removed == 0


def test_every_person_in_truth_exists_in_each_system_with_the_stated_ids(hf_stack: SimulatorStack,
                                                                        harvest: httpx.Client,
                                                                        forecast: httpx.Client) -> None:
    truth = httpx.get(f"{hf_stack.url('harvest')}/_sim/truth", params={"company": "acme"}).json()
    assert truth == httpx.get(f"{hf_stack.url('forecast')}/_sim/truth").json() | {"now": truth["now"]}
    users = {u["id"]: u for u in harvest.get("/v2/users").json()["users"]}
    people = {p["id"]: p for p in forecast.get("/people").json()["people"]}
    for p in truth["people"]:
        if p["harvest_user_id"] is not None:
            assert users[p["harvest_user_id"]]["email"] == p["emails"]["harvest"]
        assert people[p["forecast_person_id"]]["harvest_user_id"] == p["forecast_harvest_user_id"]
        assert people[p["forecast_person_id"]]["email"] == p["emails"]["forecast"]
    projects = {x["id"]: x for x in harvest.get("/v2/projects").json()["projects"]}
    f_projects = {x["id"]: x for x in forecast.get("/projects").json()["projects"]}
    for p in truth["projects"]:
        if p["harvest_project_id"] is not None:
            assert projects[p["harvest_project_id"]]["code"] == p["code"]
        assert f_projects[p["forecast_project_id"]]["harvest_id"] == p["forecast_harvest_id"]
    counts = truth["counts"]["harvest"]
    assert harvest.get("/v2/time_entries", params={"per_page": 1}).json()["total_entries"] == counts["time_entries"]
    assert len(users) == counts["users"] and len(projects) == counts["projects"]
