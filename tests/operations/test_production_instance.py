"""The shipped production instance, end to end: a scheduled tick under the daemon, a three-month
backfill through the webserver's GraphQL API, and the UI in headless Chromium.

Real processes only: dagster-webserver and dagster-daemon on deploy/dagster.yaml with Dagster's
storage in a fresh MariaDB database, the vendor simulators over HTTP, the timesync database.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.operations.browser import CHROMIUM, Chromium
from tests.operations.instance import (
    COMPANY,
    ENSURE,
    FINISHED,
    OUTPUT,
    Deployment,
    NotYet,
    runs_with_tag,
    tags_of,
    wait_for,
)

SCHEDULE = "harvest_hourly_incremental"
TIME_ENTRIES_KEY = [COMPANY, "harvest", "time_entries"]
HARVEST_LIMIT, HARVEST_WINDOW = 100, 15.0  # the simulator's (and Harvest's) documented limit


def three_month_range(dep: Deployment) -> tuple[date, date]:
    """Three whole months after the first partition month: data the simulator has."""
    start = (dep.window_start + timedelta(days=32)).replace(day=1)
    end = start
    for _ in range(3):
        end = (end + timedelta(days=32)).replace(day=1)
    return start, end - timedelta(days=1)


def schedule_ticks(dep: Deployment, selector: dict[str, str]) -> list[dict[str, Any]]:
    data = dep.graphql("""query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) { __typename
        ... on Schedule { scheduleState { ticks(limit: 5) { status runIds error { message } } } } } }""",
                       {"s": selector})
    return data["scheduleOrError"]["scheduleState"]["ticks"]


@pytest.fixture(scope="module")
def launched(deployment: Deployment) -> Iterator[dict[str, Any]]:
    """Start the Harvest schedule and launch the Harvest backfill together.

    Both runs want the `harvest-acme` pool, which is the point: they may be in flight together
    but their steps must take turns (asserted in the backfill test). The waits overlap, too.
    """
    dep = deployment
    selector = {"repositoryLocationName": dep.location, "repositoryName": dep.repository, "scheduleName": SCHEDULE}
    started = dep.graphql("""mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
        __typename ... on ScheduleStateResult { scheduleState { id status } } ... on PythonError { message } } }""",
                          {"s": selector})["startSchedule"]
    assert started["__typename"] == "ScheduleStateResult", started
    state = {"selector": selector, "schedule_state_id": started["scheduleState"]["id"], "stopped": False}
    try:
        start, end = three_month_range(dep)
        result = dep.graphql("""mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
            __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
            ... on PartitionKeysNotFoundError { message } ... on InvalidSubsetError { message } } }""", {"p": {
            "partitionsByAssets": [{"assetKey": {"path": TIME_ENTRIES_KEY},
                                    "partitions": {"range": {"start": start.isoformat(), "end": end.isoformat()}}}],
            "title": "three months of time entries",
        }})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        state.update(backfill_id=result["backfillId"], start=start, end=end, launched_at=time.monotonic())
        yield state
    finally:
        stop_schedule(dep, state)


def stop_schedule(dep: Deployment, state: dict[str, Any]) -> None:
    if state["stopped"]:
        return
    stopped = dep.graphql("""mutation($id: String) { stopRunningSchedule(id: $id) { __typename
        ... on ScheduleStateResult { scheduleState { status } } } }""", {"id": state["schedule_state_id"]})
    assert stopped["stopRunningSchedule"]["scheduleState"]["status"] == "STOPPED", stopped
    state["stopped"] = True


@pytest.fixture(scope="module")
def scheduled_run(deployment: Deployment, launched: dict[str, Any]) -> dict[str, Any]:
    dep = deployment

    def first_run(finished: bool) -> Callable[[], dict[str, Any]]:
        def probe() -> dict[str, Any]:
            failed_ticks = [t for t in schedule_ticks(dep, launched["selector"]) if t["status"] == "FAILURE"]
            assert not failed_ticks, f"the schedule's tick failed: {failed_ticks[0]['error']['message']}"
            runs = runs_with_tag(dep, "dagster/schedule_name", SCHEDULE)
            if not runs or (finished and runs[-1]["status"] not in FINISHED):
                raise NotYet(f"runs: {[(r['runId'][:8], r['status']) for r in runs]}")
            return runs[-1]
        return probe

    # `* * * * *` (TIMESYNC_SCHEDULE_CRON_OVERRIDE): a tick within a minute. One tick is the point;
    # stopping right away keeps the next minute's tick from queueing a second run.
    wait_for(first_run(finished=False), 150, f"a run launched by {SCHEDULE}", interval=2, diagnostics=dep.diagnostics)
    stop_schedule(dep, launched)
    return wait_for(first_run(finished=True), 240, f"the {SCHEDULE} run to finish", interval=3,
                    diagnostics=dep.diagnostics)


@pytest.fixture(scope="module")
def backfill(deployment: Deployment, launched: dict[str, Any]) -> dict[str, Any]:
    dep, backfill_id = deployment, launched["backfill_id"]

    def done() -> dict[str, Any]:
        data = dep.graphql("""query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
            ... on PartitionBackfill { id status numPartitions } } }""", {"id": backfill_id})
        bf = data["partitionBackfillOrError"]
        if bf["status"] in ("REQUESTED", "CANCELING", "FAILING"):
            raise NotYet(bf["status"])
        return bf

    status = wait_for(done, 300, f"backfill {backfill_id}", interval=3, diagnostics=dep.diagnostics)
    return {"id": backfill_id, "status": status, "start": launched["start"], "end": launched["end"],
            "runs": runs_with_tag(dep, "dagster/backfill", backfill_id),
            "seconds": time.monotonic() - launched["launched_at"]}


def test_scheduled_tick_runs_under_daemon_with_mysql_storage(deployment: Deployment,
                                                             scheduled_run: dict[str, Any]) -> None:
    dep, run = deployment, scheduled_run
    assert run["status"] == "SUCCESS", dep.diagnostics()
    print(f"scheduled run {run['runId']}: {run['endTime'] - run['startTime']:.0f}s")
    tags = tags_of(run)
    assert tags["timesync/source"] == "harvest" and tags["timesync/mode"] == "incremental"

    logs = dep.timesync_db.query(
        "SELECT stream, status, sync_type, records_processed FROM sync_logs WHERE run_id = %s", (run["runId"],))
    assert logs, "the scheduled run wrote no sync_logs rows"
    assert {r["status"] for r in logs} == {"completed"}, logs
    assert "time_entries" in {r["stream"] for r in logs}
    assert sum(r["records_processed"] for r in logs) > 0

    # Dagster's own state lives in MariaDB: the run, its events, the daemon's tick and heartbeats.
    assert dep.dagster_sql("SELECT status FROM runs WHERE run_id = %s", (run["runId"],)) == [{"status": "SUCCESS"}]
    assert dep.dagster_sql("SELECT COUNT(*) AS n FROM event_logs WHERE run_id = %s", (run["runId"],))[0]["n"] > 0
    ticks = dep.dagster_sql("SELECT status FROM job_ticks WHERE type = 'SCHEDULE'")
    assert "SUCCESS" in {t["status"] for t in ticks}, ticks
    heartbeats = {r["daemon_type"] for r in dep.dagster_sql("SELECT daemon_type FROM daemon_heartbeats")}
    assert {"SCHEDULER", "QUEUED_RUN_COORDINATOR", "BACKFILL"} <= heartbeats


def test_graphql_backfill_of_three_months_is_one_run_within_rate_limits(
        deployment: Deployment, backfill: dict[str, Any], scheduled_run: dict[str, Any]) -> None:
    dep, bf = deployment, backfill
    assert bf["status"]["status"] == "COMPLETED_SUCCESS", (bf, dep.diagnostics())
    days = (bf["end"] - bf["start"]).days + 1
    assert bf["status"]["numPartitions"] == days >= 89

    # BackfillPolicy.single_run(): the whole range is one run, labelled with the range.
    assert len(bf["runs"]) == 1, [(r["runId"], tags_of(r)) for r in bf["runs"]]
    run = bf["runs"][0]
    tags = tags_of(run)
    assert run["status"] == "SUCCESS"
    print(f"backfill {bf['id']}: {bf['seconds']:.0f}s from launch to completed; "
          f"its run {run['runId']}: {run['endTime'] - run['startTime']:.0f}s")
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        bf["start"].isoformat(), bf["end"].isoformat())

    # One sync_logs row for the run's window, covering it exactly.
    logs = dep.timesync_db.query(
        "SELECT stream, status, sync_type, window_start, window_end, records_processed, partition_key "
        "FROM sync_logs WHERE run_id = %s", (run["runId"],))
    assert len(logs) == 1, logs
    row = logs[0]
    assert (row["stream"], row["status"], row["sync_type"]) == ("time_entries", "completed", "window")
    assert (row["window_start"], row["window_end"]) == (
        datetime.combine(bf["start"], datetime.min.time()), datetime.combine(bf["end"], datetime.min.time()))
    assert row["records_processed"] > 0

    # Within Harvest's limit: no 429 from the simulator, and never more than 100 requests in 15 s.
    requests = dep.stack.servers["harvest"].requests()
    assert requests, "the simulator saw no requests"
    assert [r for r in requests if r["status"] == 429] == []
    peak = peak_requests_per_window(requests, HARVEST_WINDOW)
    print(f"harvest simulator: {len(requests)} requests, peak {peak} per {HARVEST_WINDOW:.0f}s, no 429")
    assert peak <= HARVEST_LIMIT

    # One pool per vendor account: the backfill and the scheduled Harvest run never had two
    # streams talking to the account at once, whether or not the runs were in flight together.
    both = (run["runId"], scheduled_run["runId"])
    spans = dep.timesync_db.query(
        "SELECT run_id, stream, started_at, completed_at FROM sync_logs WHERE system_name = 'harvest' "
        "AND run_id IN (%s, %s) ORDER BY started_at", both)
    assert {r["run_id"] for r in spans} == set(both)
    overlaps = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if b["started_at"] < a["completed_at"]]
    assert overlaps == []
    runs_overlapped = run["startTime"] < scheduled_run["endTime"] and scheduled_run["startTime"] < run["endTime"]
    print(f"backfill run and scheduled run {'were' if runs_overlapped else 'were not'} in flight together; "
          f"{len(spans)} harvest sync_logs spans, none overlapping")


def peak_requests_per_window(requests: list[dict[str, Any]], window: float) -> int:
    times = sorted(datetime.fromisoformat(r["ts"]).timestamp() for r in requests)
    inside: deque[float] = deque()
    peak = 0
    for t in times:
        inside.append(t)
        while inside[0] <= t - window:
            inside.popleft()
        peak = max(peak, len(inside))
    return peak


def test_ui_shows_asset_groups_and_a_completed_run_in_chromium(deployment: Deployment,
                                                               backfill: dict[str, Any]) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; {ENSURE}")
    dep = deployment
    run_id = backfill["runs"][0]["runId"]
    nodes = dep.graphql("{ assetNodes { groupName } }")["assetNodes"]
    per_group = Counter(n["groupName"] for n in nodes)
    assert {"harvest", "forecast", "qbo", "jira"} <= set(per_group), f"a vendor's assets are missing: {per_group}"
    # The global lineage draws one box per group, labelled with the group and its asset count.
    boxes = [f"{group} {count}" for group, count in sorted(per_group.items())]

    browser = Chromium(OUTPUT / "chromium.log")
    try:
        browser.goto(f"{dep.url}/asset-groups")
        browser.wait_for_text(lambda t: all(b in squash(t) for b in boxes), 90, f"the group boxes {boxes}")
        dismiss_community_prompt(browser)
        browser.screenshot(OUTPUT / "asset_graph.png")

        browser.goto(f"{dep.url}/runs/{run_id}")
        browser.wait_for_text(lambda t: run_id[:8] in t and "Success" in t and "time_entries" in t
                              and "Loading run logs" not in t and "RUN_SUCCESS" in t, 90,
                              f"run {run_id} as Success with its event log")
        browser.screenshot(OUTPUT / "run.png")

        browser.goto(f"{dep.url}/runs/b/{backfill['id']}?tab=runs")
        browser.wait_for_text(lambda t: backfill["id"] in t and "Succeeded" in t and run_id[:8] in t
                              and f"{backfill['start'].isoformat()}...{backfill['end'].isoformat()}" in t, 90,
                              f"backfill {backfill['id']} succeeded with run {run_id[:8]}")
        browser.screenshot(OUTPUT / "backfill.png")
    finally:
        browser.close()


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def dismiss_community_prompt(browser: Chromium) -> None:
    """The UI greets a new browser profile with a newsletter modal that would cover the graph."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not browser.click_button("Skip"):
        time.sleep(1)
    time.sleep(2)  # the modal fades out and the graph finishes its layout
