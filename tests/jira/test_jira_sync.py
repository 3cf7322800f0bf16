"""Jira into staging over HTTP: counts, the removed /search, worklog feeds with their lag, big issues, throttles."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pipelines.assets import jira as jira_assets
from resources.config import CompanyConnections
from resources.mysql import Database
from simulators.stack import SimulatorStack
from tests.jira.conftest import LAG_SECONDS, advance_clock, jira_mutate, jira_rows, sync_jira


def worklog(db: Database, company: CompanyConnections, worklog_id: str) -> dict:
    return jira_rows(db, company, "worklogs", f"worklog_id = '{int(worklog_id)}'")[0]


def test_full_sync_matches_truth_and_never_calls_the_removed_search(
        migrated_db: Database, jira_stack: SimulatorStack, jira_company: CompanyConnections) -> None:
    for spec in jira_assets.VENDOR.streams:
        sync_jira(migrated_db, jira_company, spec.name)
    truth = jira_stack.truth()["jira"]
    for stream, expected in (("users", truth["users"]), ("issues", truth["issues"]),
                             ("worklogs", truth["worklogs"])):
        assert len(jira_rows(migrated_db, jira_company, stream, "deleted_at IS NULL")) == expected, stream

    paths = [r["path"] for r in jira_stack.servers["jira"].requests()]
    assert not [p for p in paths if p.endswith(("/api/3/search", "/api/2/search"))]
    assert all(r["status"] != 410 for r in jira_stack.servers["jira"].requests())
    assert any(p.endswith("/search/jql") for p in paths)
    users = {r["account_id"]: r for r in jira_rows(migrated_db, jira_company, "users")}
    assert truth["hidden_email_account_ids"]
    assert all(users[a]["email"] is None for a in truth["hidden_email_account_ids"])
    logs = jira_rows(migrated_db, jira_company, "worklogs")
    assert all(r["started_offset"] == "+00:00" and r["started_at"] and r["comment_text"] for r in logs)
    assert all(not r["comment_text"].startswith("{") for r in logs)  # ADF flattened, raw JSON kept
    issues = jira_rows(migrated_db, jira_company, "issues")
    assert all(r["issue_key"] and r["project_key"] and r["status"] for r in issues)


def test_worklogs_changed_at_jira_are_picked_up_next_run_including_inside_the_lag(
        migrated_db: Database, jira_stack: SimulatorStack, jira_company: CompanyConnections) -> None:
    sync_jira(migrated_db, jira_company, "worklogs", mode="full")
    ids = [r["worklog_id"] for r in jira_rows(migrated_db, jira_company, "worklogs")]
    edited, removed, late_edit, late_delete = ids[5], ids[6], ids[7], ids[8]

    jira_mutate(jira_stack, "worklogs", "update", edited, seconds=4321, comment="edited")
    jira_mutate(jira_stack, "worklogs", "delete", removed)
    advance_clock(jira_stack, LAG_SECONDS + 1)
    jira_mutate(jira_stack, "worklogs", "update", late_edit, seconds=1234)  # inside the lag at the next run
    jira_mutate(jira_stack, "worklogs", "delete", late_delete)

    first = sync_jira(migrated_db, jira_company, "worklogs", mode="incremental")
    assert first.request.mode == "incremental"
    assert worklog(migrated_db, jira_company, edited)["time_spent_seconds"] == 4321
    assert worklog(migrated_db, jira_company, edited)["comment_text"] == "edited"
    assert worklog(migrated_db, jira_company, removed)["deleted_at"] is not None
    assert worklog(migrated_db, jira_company, late_edit)["time_spent_seconds"] != 1234
    assert worklog(migrated_db, jira_company, late_delete)["deleted_at"] is None

    advance_clock(jira_stack, LAG_SECONDS + 1)
    sync_jira(migrated_db, jira_company, "worklogs", mode="incremental")
    assert worklog(migrated_db, jira_company, late_edit)["time_spent_seconds"] == 1234
    assert worklog(migrated_db, jira_company, late_delete)["deleted_at"] is not None
    live = jira_rows(migrated_db, jira_company, "worklogs", "deleted_at IS NULL")
    assert len(live) == jira_stack.truth()["jira"]["worklogs"]


def test_issue_with_more_than_5000_worklogs_loses_none(
        migrated_db: Database, jira_stack: SimulatorStack, jira_company: CompanyConnections) -> None:
    world = jira_stack.world()
    key, other = (world.jira_issue(world.jira_projects[0], n)["key"] for n in (0, 1))
    jira_mutate(jira_stack, "worklogs", "bulk_create", issue=other, count=25)  # past the embedded 20
    for _ in range(6):  # people log in bursts; each burst shares one updatedTime
        jira_mutate(jira_stack, "worklogs", "bulk_create", issue=key, count=900, seconds=600)
        advance_clock(jira_stack, 1)
    advance_clock(jira_stack, LAG_SECONDS + 1)

    sync_jira(migrated_db, jira_company, "worklogs", mode="full")
    truth = jira_stack.truth()["jira"]["issues_with_over_20_worklogs"]
    assert truth[key] > 5000 and truth[other] > 20
    issues = [world.jira_issue(p, n) for p in world.jira_projects for n in range(world.scale.issues_per_project)]
    issue_ids = {i["key"]: str(i["id"]) for i in issues}
    staged = Counter(r["issue_id"] for r in jira_rows(migrated_db, jira_company, "worklogs"))
    for issue_key, count in truth.items():
        assert staged[issue_ids[issue_key]] == count, issue_key


def test_429_and_503_wait_at_least_retry_after(
        migrated_db: Database, jira_stack: SimulatorStack, jira_company: CompanyConnections) -> None:
    server = jira_stack.servers["jira"]
    server.add_fault({"kind": "429", "path": "/worklog/list", "retry_after": 1})
    server.add_fault({"kind": "custom", "name": "unavailable_503", "path": "/worklog/updated"})
    outcome = sync_jira(migrated_db, jira_company, "worklogs", mode="full")
    assert outcome.stats.throttled == 1 and outcome.stats.retries >= 2
    assert len(jira_rows(migrated_db, jira_company, "worklogs")) == jira_stack.truth()["jira"]["worklogs"]
    log = server.requests()
    throttled = next(i for i, r in enumerate(log) if r["status"] == 429)
    retry = next(r for r in log[throttled + 1:] if r["path"].endswith("/worklog/list"))
    gap = datetime.fromisoformat(retry["ts"]) - datetime.fromisoformat(log[throttled]["ts"])
    assert gap.total_seconds() >= 1.0


def test_doctor_check_authenticates_and_names_the_account(jira_stack: SimulatorStack,
                                                          jira_company: CompanyConnections) -> None:
    from resources.vendor_checks import check_jira

    assert "America/Los_Angeles" in check_jira(jira_company)
