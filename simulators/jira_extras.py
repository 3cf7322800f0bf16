"""Jira's hooks into the shared world (control-plane mutations, truth, providers) and sort keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simulators.jira_worklogs import ms
from simulators.world import World
from simulators.world_jira import JiraSite, issue_created

if TYPE_CHECKING:
    from simulators.jira import JiraApp


def issue_times(site: JiraSite, issue: dict[str, Any]) -> dict[str, int]:
    return {"updated": site.issue_updated[issue["id"]], "created": ms(issue_created(site.world, issue))}


def issue_sort_key(site: JiraSite, name: str) -> Callable[[dict[str, Any]], Any]:
    if name in ("updated", "created"):
        return lambda issue: issue_times(site, issue)[name]
    if name in ("key", "issuekey"):
        return lambda issue: (issue["key"].rsplit("-", 1)[0], int(issue["key"].rsplit("-", 1)[1]))
    return lambda issue: issue["id"]


def _ids(id_: Any, fields: dict[str, Any]) -> list[int]:
    return [int(x) for x in fields.pop("ids", None) or [id_]]


def mutate(app: JiraApp, world: World, resource: str, op: str, id_: Any,
           fields: dict[str, Any]) -> dict[str, Any]:
    site = app.site(world)
    now = world.now().replace(microsecond=world.now().microsecond // 1000 * 1000)
    world.mutation_serial += 1
    if resource == "config" and op == "configure":
        if "lag_seconds" in fields:
            site.lag_ms = int(float(fields["lag_seconds"]) * 1000)
        if "time_tracking_off" in fields:
            site.config["time_tracking_off"] = sorted({str(k).upper() for k in fields["time_tracking_off"]})
        return {"lag_seconds": site.lag_ms / 1000, "time_tracking_off": site.config.get("time_tracking_off", [])}
    if resource != "worklogs":
        raise KeyError(f"no Jira resource {resource}")
    with app._lock:
        if op in ("create", "bulk_create"):
            issue = site.issue_by_key[str(fields["issue"]).upper()]
            author = fields.get("accountId") or world.people[world.jira_people[0]]["jira_account_id"]
            person = next(u for u, p in enumerate(world.people) if p["jira_account_id"] == author)
            started = datetime.fromisoformat(str(fields.get("started") or now.isoformat()).replace("Z", "+00:00"))
            record = {"issue_id": issue["id"], "issue_key": issue["key"], "project_index": issue["project_index"],
                      "person_index": person, "author_account_id": author, "started": started,
                      "seconds": int(fields.get("seconds", 3600)), "comment": fields.get("comment", "Work"),
                      "visibility": None}
            made = [site.store.create(record, now) for _ in range(int(fields.get("count", 1)))]
            site.issue_updated[issue["id"]] = ms(now)
            return {"ids": [r["id"] for r in made], "id": made[0]["id"], "updatedTime": ms(now)}
        ids = _ids(id_, fields)
        if op == "update":
            changes = {k: v for k, v in fields.items() if k in ("seconds", "comment", "started")}
            if "started" in changes:
                changes["started"] = datetime.fromisoformat(str(changes["started"]).replace("Z", "+00:00"))
            done = site.store.update(ids, now, changes)
            for r in done:
                site.issue_updated[r["issue_id"]] = ms(now)
            if not done:
                raise KeyError(f"jira worklog {ids} does not exist")
            return {"ids": [r["id"] for r in done], "updatedTime": ms(now)}
        if op == "delete":
            issues = [r["issue_id"] for r in (site.store.get(i) for i in ids) if r]
            if not site.store.delete(ids, now):
                raise KeyError(f"jira worklog {ids} does not exist")
            for issue_id in issues:
                site.issue_updated[issue_id] = ms(now)
            return {"ids": ids, "deleted": True, "deletedTime": ms(now)}
    raise ValueError(f"unknown op {op!r}")


def _worklogs(app: JiraApp, world: World) -> Iterator[dict[str, Any]]:
    store = app.site(world).store
    for j in range(store.base.count):
        if not store._is_touched(j):
            yield world.jira_worklog(j)
    yield from list(store.overlay.values())


def attach(app: JiraApp, world: World) -> None:
    original_mutate, original_truth = world.mutate, world.truth

    def routed_mutate(system: str, resource: str, op: str, id: Any = None,  # noqa: A002
                      fields: dict[str, Any] | None = None) -> dict[str, Any]:
        if system == "jira":
            return mutate(app, world, resource, op, id, dict(fields or {}))
        return original_mutate(system=system, resource=resource, op=op, id=id, fields=fields)

    def truth() -> dict[str, Any]:
        result = original_truth()
        site = app.site(world)
        counts = {i["key"]: n for i in site.issues if (n := len(site.store.for_issue(i["id"]))) > 20}
        result["jira"] = {
            "site": world.jira_site, "myself_time_zone": "America/Los_Angeles", "lag_seconds": site.lag_ms / 1000,
            "worklogs": site.store.live_count(), "issues": len(site.issues), "users": len(site.users),
            "hidden_email_account_ids": [u["accountId"] for u in site.users
                                         if u["accountType"] == "atlassian" and "emailAddress" not in u],
            "issues_with_over_20_worklogs": counts,
            "deleted_worklog_ids": sorted(site.store.deleted),
        }
        return result

    world.mutate = routed_mutate  # type: ignore[method-assign]
    world.truth = truth  # type: ignore[method-assign]
    world.providers["jira.worklogs"] = lambda: _worklogs(app, world)
    world.count_providers["jira.worklogs"] = lambda: app.site(world).store.live_count()
    world.count_providers["jira.users"] = lambda: len(app.site(world).users)
    world.count_providers["jira.issues"] = lambda: len(app.site(world).issues)
