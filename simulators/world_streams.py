"""The big derived streams: Harvest time entries, Jira issues and worklogs, QBO time activities,
plus the Forecast assignments (a list: a few per person-month).

Index math (N entries, M worklogs, K time activities, all dates monotone non-decreasing in the index):
- time entry ``i`` is on ``entry_dates.date_of(i)``;
- worklog ``j`` is on ``entry_dates.date_of(j * N // M)``; an **even** ``j`` is the Jira copy of time
  entry ``i = j * N // M`` (same person, day, seconds and issue; the entry carries the issue as
  ``external_reference``); odd ``j`` are Jira-only work;
- time activity ``k`` is on ``entry_dates.date_of(k * N // K)``; all are QBO-only work (contractor time
  entered from vendor bills, and a little staff time on QBO-only jobs).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from simulators.world_core import Rng, dt_at
from simulators.world_dims import created_stamp

if TYPE_CHECKING:
    from simulators.world import World

TIME_ENTRY_ID0 = 2_400_000_000
WORKLOG_ID0 = 300_000
TIME_ACTIVITY_ID0 = 5_000
ISSUE_ID0 = 100_000
ASSIGNMENT_ID0 = 41_000_000
# how far after its spent_date a base entry can have been updated (created up to ~3.7 days later,
# 1 in 40 edited again up to 30 days after that)
MAX_UPDATE_LAG = timedelta(days=35)
# Base worklogs were created before base_time - 2 h and last updated before base_time - 1 h (so all are
# past Jira's one-minute feed lag); times are spread to the millisecond, and bulk edits (one shared
# updatedTime per week, a few dozen worklogs at the large scale) stay far below a 1,000-row feed page.
WORKLOG_CREATED_HORIZON = timedelta(hours=2)
WORKLOG_UPDATED_HORIZON = timedelta(hours=1)
NOTES = ["Sprint work", "Code review", "Client call", "Bug fixing", "Design review", "Deployment",
         "Planning", "Documentation", "Pairing", "Estimation"]


def _clock_time(seconds: int) -> str:
    h, m = divmod(seconds // 60, 60)
    return f"{(h % 12) or 12}:{m:02d}{'am' if h < 12 else 'pm'}"


def is_linked_entry(w: World, i: int) -> bool:
    n, m = w.scale.time_entries, w.scale.worklogs
    j = -(-i * m // n)
    return j < m and j % 2 == 0 and j * n // m == i


def _pick_person(w: World, rng: Rng, pool: list[int], day: date) -> int:
    for _ in range(4):
        u = rng.choice(pool)
        left = w.people[u]["left_on"]
        if left is None or day <= left:
            return u
    return next(u for u in pool if w.people[u]["left_on"] is None)


def _pick_project(w: World, rng: Rng, options: list[int], day: date) -> int:
    for _ in range(4):
        p = rng.choice(options)
        ends = w.projects[p]["ends_on"]
        if ends is None or day <= ends:
            return p
    return next((p for p in options if w.projects[p]["ends_on"] is None), options[0])


def issue_of(w: World, p: int, n: int) -> dict[str, Any]:
    proj = w.projects[p]
    return {"id": ISSUE_ID0 + 1000 * p + n, "key": f"{proj['jira_key']}-{n + 1}", "project_index": p,
            "number": n}


@lru_cache(maxsize=4096)
def _month(day: date) -> str:
    return day.isoformat()[:7]


@lru_cache(maxsize=64)
def _clock_time_cached(seconds: int) -> str:
    return _clock_time(seconds)


def time_entry(w: World, i: int) -> dict[str, Any]:
    """Base Harvest time entry ``i`` in canonical (Harvest flat) form."""
    rng = Rng(w.stream_seed("time_entries"), i)
    day = w.entry_dates.date_of(i)
    linked = is_linked_entry(w, i)
    if linked:
        u = _pick_person(w, rng, w.jira_people, day)
        p = _pick_project(w, rng, w.jira_person_projects[u], day)
        issue = issue_of(w, p, rng.below(w.scale.issues_per_project))
    else:
        u = _pick_person(w, rng, w.harvest_people, day)
        p = _pick_project(w, rng, w.person_projects[u], day)
        issue = None
        if w.projects[p]["jira_key"] and rng.chance(12):  # referenced but never logged in Jira
            issue = issue_of(w, p, rng.below(w.scale.issues_per_project))
    tas = w.project_tasks[p]
    ta = tas[rng.below(len(tas))]
    hours = (1 + rng.below(16)) * 0.25
    start = 8 * 3600 + rng.below(36) * 900
    created = created_stamp(day, rng, w.base_time)
    updated = created + timedelta(seconds=rng.below(900))
    if rng.chance(40):
        updated = min(updated + timedelta(seconds=rng.below(30 * 86400)), w.base_time - timedelta(seconds=60))
    proj, person = w.projects[p], w.people[u]
    running = i == w.running_index
    if running:
        created, updated = dt_at(day, 9 * 3600), dt_at(day, 15 * 3600)
    invoice = w.invoice_by_client_month.get((proj["client_index"], _month(day))) if ta["billable"] else None
    return {
        "id": TIME_ENTRY_ID0 + i, "index": i, "spent_date": day, "user_id": person["harvest_user_id"],
        "project_id": proj["harvest_project_id"], "task_id": w.tasks[ta["task_index"]]["id"],
        "task_assignment_id": ta["id"], "hours": hours, "hours_without_timer": hours,
        "notes": rng.choice(NOTES) if rng.below(5) else None, "billable": ta["billable"],
        "is_locked": invoice is not None or day < w.anchor - timedelta(days=45),
        "is_closed": day < w.anchor - timedelta(days=30), "invoice_id": invoice["id"] if invoice else None,
        "jira_issue_id": issue["id"] if issue else None, "jira_issue_key": issue["key"] if issue else None,
        "linked_worklog_index": -(-i * w.scale.worklogs // w.scale.time_entries) if linked else None,
        "is_running": running, "timer_started_at": updated if running else None,
        "started_time": _clock_time_cached(15 * 3600 if running else start),
        "ended_time": None if running else _clock_time_cached(start + int(hours * 3600)),
        "created_at": created, "updated_at": updated,
    }


def running_timer_index(w: World) -> int:
    return max(0, w.entry_dates.first_index_on_or_after(w.anchor) - 1)


def current_hours(w: World, rec: dict[str, Any]) -> float:
    """Hours as Harvest shows them now: a running timer adds the time since it started."""
    if not rec.get("is_running") or rec.get("timer_started_at") is None:
        return rec["hours"]
    elapsed = (w.now() - rec["timer_started_at"]).total_seconds() / 3600
    return round(rec["hours_without_timer"] + max(0.0, elapsed), 2)


def jira_worklog(w: World, j: int) -> dict[str, Any]:
    """Base Jira worklog ``j`` (see the module docstring for which ones copy a Harvest entry)."""
    rng = Rng(w.stream_seed("worklogs"), j)
    i = j * w.scale.time_entries // w.scale.worklogs
    day = w.entry_dates.date_of(i)
    entry = time_entry(w, i) if j % 2 == 0 else None
    if entry is not None:
        u = w.person_by_harvest_id[entry["user_id"]]
        issue_id, issue_key, seconds = entry["jira_issue_id"], entry["jira_issue_key"], int(entry["hours"] * 3600)
        p = w.project_by_harvest_id[entry["project_id"]]
        comment = entry["notes"] or "Work"
    else:
        u = _pick_person(w, rng, w.jira_people, day)
        p = rng.choice(w.jira_person_projects[u])
        issue = issue_of(w, p, rng.below(w.scale.issues_per_project))
        issue_id, issue_key, seconds = issue["id"], issue["key"], (1 + rng.below(12)) * 900
        comment = rng.choice(NOTES)
    started = dt_at(day, 8 * 3600 + rng.below(32) * 900)
    created = started + timedelta(seconds=seconds + rng.below(6 * 3600))
    edit = timedelta(seconds=rng.below(20 * 86400)) if rng.chance(40) else None
    visibility = "jira-developers" if rng.chance(25) else None
    # Draws below come after every earlier one, so worklogs that need none keep their old values.
    horizon = w.base_time - WORKLOG_CREATED_HORIZON
    if created > horizon:
        # work dated at or after the horizon was logged ahead of time, some moment in the day before it
        created = horizon - timedelta(milliseconds=rng.below(86_400_000))
    updated = created
    if edit is not None:
        last = w.base_time - WORKLOG_UPDATED_HORIZON
        bulk = dt_at(day + timedelta(days=11 - day.weekday()), 17 * 3600) + timedelta(milliseconds=417)
        if rng.chance(4) and bulk <= last:
            updated = bulk  # a bulk edit: the next week's Friday run, one updatedTime for the whole week
        elif created + edit <= last:
            updated = created + edit
        else:
            updated = created + timedelta(milliseconds=rng.below((last - created) // timedelta(milliseconds=1)))
    return {"id": WORKLOG_ID0 + j, "index": j, "issue_id": issue_id, "issue_key": issue_key,
            "project_index": p, "person_index": u, "author_account_id": w.people[u]["jira_account_id"],
            "started": started, "seconds": seconds, "comment": comment, "created": created,
            "updated": updated, "harvest_entry_id": entry["id"] if entry else None,
            "visibility": visibility}


def time_activity(w: World, k: int) -> dict[str, Any]:
    """Base QBO TimeActivity ``k``: QBO-only work (contractors mostly, see module docstring)."""
    rng = Rng(w.stream_seed("time_activities"), k)
    day = w.entry_dates.date_of(k * w.scale.time_entries // w.scale.time_activities)
    pool = w.contractors if w.contractors and rng.below(100) < 85 else w.staff
    u = _pick_person(w, rng, pool, day)
    person = w.people[u]
    p = _pick_project(w, rng, w.person_projects[u], day)
    roll = rng.below(10)
    level = "job" if roll < 8 else ("customer" if roll == 8 else None)
    minutes = (2 + rng.below(30)) * 15
    created = created_stamp(day, rng, w.base_time)
    return {"id": TIME_ACTIVITY_ID0 + k, "index": k, "txn_date": day, "person_index": u,
            "name_of": "Vendor" if person["is_contractor"] else "Employee",
            "employee_id": person["qbo_employee_id"], "vendor_id": person["qbo_vendor_id"],
            "project_index": p if level == "job" else None,
            "client_index": w.projects[p]["client_index"] if level else None, "customer_level": level,
            "hours": minutes // 60, "minutes": minutes % 60, "hourly_rate": person["hourly_rate"] + 0.5,
            "billable_status": "Billable" if level and rng.below(4) else "NotBillable",
            "description": rng.choice(NOTES), "created": created, "updated": created}


def build_forecast_assignments(w: World) -> None:
    """Blocks of 1-4 weeks per person (and placeholder) from 12 months back to 6 months ahead."""
    rng = Rng(w.seed_base, 6)
    w.assignments = []
    start, end = w.anchor - timedelta(days=365), w.anchor + timedelta(days=183)
    owners: list[tuple[str, int, list[int]]] = [("person", u, w.person_projects.get(u) or [0])
                                                for u in range(len(w.people))]
    owners += [("placeholder", k, [k % len(w.projects)]) for k in range(len(w.placeholders))]
    for kind, owner, projects in owners:
        d = start + timedelta(days=rng.below(10))
        left = w.people[owner]["left_on"] if kind == "person" else None
        while d < end and (left is None or d < left):
            length = 7 * (1 + rng.below(4)) - 3
            pto = kind == "person" and rng.chance(25)
            n = len(w.assignments)
            updated = min(dt_at(d - timedelta(days=7 + rng.below(20)), 9 * 3600) +
                          timedelta(milliseconds=rng.below(86_400_000)), w.base_time - timedelta(hours=3))
            w.assignments.append({
                "id": ASSIGNMENT_ID0 + n, "start_date": d, "end_date": d + timedelta(days=length),
                "allocation": None if pto else rng.choice([14400, 21600, 28800, 28800]),
                "notes": "PTO" if pto else None,
                "project_id": w.time_off_project_id if pto else w.projects[rng.choice(projects)]["forecast_project_id"],
                "person_id": w.people[owner]["forecast_person_id"] if kind == "person" else None,
                "placeholder_id": w.placeholders[owner]["id"] if kind == "placeholder" else None,
                "repeated_assignment_set_id": None, "active_on_days_off": False,
                "updated_at": updated, "updated_by_id": w.people[0]["forecast_person_id"]})
            d += timedelta(days=length + 3 + rng.below(4))


def updated_since_floor(since: datetime) -> date:
    """Earliest spent_date a base entry updated at or after ``since`` can have."""
    return (since - MAX_UPDATE_LAG).date()
