"""The Jira Cloud face of a world: users, projects, issues and worklogs derived from the shared world.

Worklogs come from ``world.jira_worklog(j)`` (even ``j`` copy a Harvest entry). One pass over them
builds compact int arrays (update order, per-issue lists, time spent); no worklog dict is kept, so a
large world (500k worklogs) costs a few MB plus the pass.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulators.jira_worklogs import WorklogBase, WorklogStore, ms
from simulators.world_core import Rng
from simulators.world_streams import WORKLOG_ID0

if TYPE_CHECKING:
    from simulators.world import World

MYSELF_TZ = "America/Los_Angeles"
ZONES = {"Eastern Time (US & Canada)": "America/New_York", "Pacific Time (US & Canada)": "America/Los_Angeles",
         "London": "Europe/London", "Berlin": "Europe/Berlin"}
STATUSES = [("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done")]
SUMMARIES = ["Set up pipeline", "Fix login bug", "Refactor billing", "Add export", "Improve search",
             "Write API docs", "Upgrade dependencies", "Dashboard widgets", "Performance tuning", "Audit logging"]
EXTRA_USERS = [("557058:automation", "Automation for Jira", "app", True),
               ("557058:slack", "Slack", "app", True),
               ("qm:customer-1", "Portal Customer", "customer", True),
               ("5b10ac8d82e05b22cc7dffff", "Former Employee", "atlassian", False)]


def jira_time(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times cheaper than strftime (three stamps per rendered worklog).
    return moment.isoformat()[:19] + ".000+0000"


def duration(seconds: int) -> str:
    d, rest = divmod(seconds, 8 * 3600)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    return " ".join(f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m")) if v) or "0m"


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


@dataclass
class JiraSite:
    world: World
    store: WorklogStore
    issues: list[dict[str, Any]]  # id, key, project_index, number (small: projects x issues_per_project)
    issue_by_id: dict[int, dict[str, Any]]
    issue_by_key: dict[str, dict[str, Any]]
    users: list[dict[str, Any]]
    user_by_account: dict[str, dict[str, Any]]
    spent: dict[int, int]  # base seconds per issue id
    issue_updated: dict[int, int]  # ms per issue id (bumped by worklog mutations)
    lag_ms: int = 60_000
    config: dict[str, Any] = field(default_factory=dict)

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        return self.user_by_account.get(account_id or "")


def _users(w: World) -> list[dict[str, Any]]:
    users = []
    for u in w.jira_people:
        p = w.people[u]
        user = {"accountId": p["jira_account_id"], "accountType": "atlassian",
                "displayName": f"{p['first_name']} {p['last_name']}", "active": not p["departed"],
                "timeZone": ZONES.get(p["timezone"], "UTC"), "locale": "en_US"}
        if p["jira_email"] is not None:
            user["emailAddress"] = p["jira_email"]
        users.append(user)
    for account, name, kind, active in EXTRA_USERS:
        users.append({"accountId": account, "accountType": kind, "displayName": name, "active": active})
    return users


def _index_worklogs(w: World, issue_ids: dict[int, int]) -> tuple[WorklogBase, dict[int, int], dict[int, int]]:
    n = w.scale.worklogs
    updated = array("q", bytes(8 * n))
    per_issue: dict[int, list[tuple[int, int]]] = {}
    spent: dict[int, int] = {}
    last: dict[int, int] = {}
    for j in range(n):
        wl = w.jira_worklog(j)
        up = ms(wl["updated"])
        updated[j] = up
        per_issue.setdefault(wl["issue_id"], []).append((ms(wl["created"]), j))
        spent[wl["issue_id"]] = spent.get(wl["issue_id"], 0) + wl["seconds"]
        last[wl["issue_id"]] = max(last.get(wl["issue_id"], 0), up)
    order = array("i", sorted(range(n), key=lambda j: (updated[j], j)))
    order_updated = array("q", (updated[j] for j in order))
    lists = {issue: array("i", (j for _, j in sorted(pairs))) for issue, pairs in per_issue.items()}
    empty = array("i")
    base = WorklogBase(n, WORKLOG_ID0, w.jira_worklog, order, order_updated,
                       lambda issue: lists.get(issue, empty))
    return base, spent, last


def build_jira_site(w: World) -> JiraSite:
    issues = []
    for p in w.jira_projects:
        for number in range(w.scale.issues_per_project):
            issues.append(w.jira_issue(p, number))
    base, spent, last = _index_worklogs(w, {})
    users = _users(w)
    updated: dict[int, int] = {}
    for issue in issues:
        created = issue_created(w, issue)
        updated[issue["id"]] = max(ms(created), last.get(issue["id"], 0))
    return JiraSite(w, WorklogStore(base), issues, {i["id"]: i for i in issues},
                    {i["key"]: i for i in issues}, users, {u["accountId"]: u for u in users}, spent, updated)


def issue_created(w: World, issue: dict[str, Any]) -> datetime:
    proj = w.projects[issue["project_index"]]
    return proj["created_at"] + timedelta(hours=3 * issue["number"], seconds=17 * issue["number"])


def render_issue(site: JiraSite, issue: dict[str, Any], wanted: set[str], base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(issue["id"])}
    if wanted <= {"id"}:
        return out
    w = site.world
    rng = Rng(w.stream_seed("jira_issues"), issue["id"])
    proj = w.projects[issue["project_index"]]
    every = "*all" in wanted or "*navigable" in wanted
    out.update({"key": issue["key"], "self": f"{base_url}/rest/api/3/issue/{issue['id']}"})
    spent = site.spent.get(issue["id"], 0) + sum(
        r["seconds"] for r in site.store.overlay.values() if r["issue_id"] == issue["id"]) - sum(
        site.store.base.record(i)["seconds"] for i in site.store.base.by_issue(issue["id"])
        if site.store._is_touched(i))
    original = (4 + rng.below(40)) * 3600
    status_name, category = STATUSES[rng.below(3)]
    assignee = site.users[rng.below(len(w.jira_people))] if rng.below(5) else None
    values: dict[str, Any] = {
        "summary": f"{SUMMARIES[issue['number'] % len(SUMMARIES)]} ({issue['key']})",
        "status": {"name": status_name, "statusCategory": {"key": category}},
        "issuetype": {"name": "Epic" if issue["number"] == 0 else "Story", "subtask": False},
        "project": {"id": proj["jira_project_id"], "key": proj["jira_key"], "name": proj["name"]},
        "assignee": assignee,
        "timeoriginalestimate": original, "timeestimate": max(0, original - spent), "timespent": spent or None,
        "timetracking": {"originalEstimate": duration(original), "originalEstimateSeconds": original,
                         "remainingEstimate": duration(max(0, original - spent)),
                         "remainingEstimateSeconds": max(0, original - spent),
                         **({"timeSpent": duration(spent), "timeSpentSeconds": spent} if spent else {})},
        "created": jira_time(issue_created(w, issue)),
        "updated": jira_time(datetime.fromtimestamp(site.issue_updated[issue["id"]] / 1000, UTC)),
    }
    if issue["number"] > 0:
        epic = site.issue_by_id[issue["id"] - issue["number"]]
        values["parent"] = {"id": str(epic["id"]), "key": epic["key"],
                            "fields": {"summary": f"{SUMMARIES[0]} ({epic['key']})"}}
    fields_out = {k: v for k, v in values.items() if every or k in wanted}
    if every or "worklog" in wanted:
        logs = site.store.for_issue(issue["id"])
        fields_out["worklog"] = {"startAt": 0, "maxResults": 20, "total": len(logs),
                                 "worklogs": [render_worklog(site, r, base_url) for r in logs[:20]]}
    out["fields"] = fields_out
    return out


def render_worklog(site: JiraSite, wl: dict[str, Any], base_url: str) -> dict[str, Any]:
    author = site.user(wl["author_account_id"]) or {"accountId": wl["author_account_id"], "active": False}
    out: dict[str, Any] = {
        "self": f"{base_url}/rest/api/3/issue/{wl['issue_id']}/worklog/{wl['id']}",
        "author": author, "updateAuthor": author, "comment": adf(wl["comment"]),
        "created": jira_time(wl["created"]), "updated": jira_time(wl["updated"]),
        "started": jira_time(wl["started"]), "timeSpent": duration(wl["seconds"]),
        "timeSpentSeconds": wl["seconds"], "id": str(wl["id"]), "issueId": str(wl["issue_id"]),
    }
    if wl.get("visibility"):
        out["visibility"] = {"type": "group", "value": wl["visibility"],
                             "identifier": f"group-{wl['visibility']}"}
    return out
