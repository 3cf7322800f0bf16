"""What reconciliation should conclude about a world: ``world.truth()`` and ``GET /_sim/truth``.

Deduplicated hours (``dedup_hours``), per (Harvest project id, ``YYYY-MM``), count every unit of work once:
- every existing Harvest time entry, with its hours as Harvest shows them now (a running timer
  includes the time since it started, so freeze or advance the clock in tests that assert on it);
- every existing Jira worklog **not paired** with a Harvest entry; a pair is a designated entry/worklog
  couple (``linked_worklog_index``) that still agrees on person, day (``started`` UTC date =
  ``spent_date``), seconds (= hours * 3600) and issue (``external_reference.id``); a broken pair counts
  both; the worklog's project is the Harvest project whose code maps to its Jira key;
- every existing QBO TimeActivity (``Hours + Minutes/60``): all are QBO-only work. One on a job
  (sub-customer) counts for that job's Harvest project; one on a top-level customer or with no
  customer counts under ``harvest_project_id: null``.
Month is the work's date (spent_date, started date, TxnDate). Hours are rounded to 4 places.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from simulators.world_streams import current_hours

if TYPE_CHECKING:
    from simulators.world import World

PAIR_LIST_CAP = 20_000
HARVEST_STREAMS = ["users", "clients", "projects", "tasks", "roles", "task_assignments", "user_assignments",
                   "time_entries", "expenses", "invoices"]
FORECAST_STREAMS = ["people", "clients", "projects", "placeholders", "roles", "milestones", "assignments"]


def _people(w: World) -> list[dict[str, Any]]:
    out = []
    for p in w.people:
        out.append({
            "person_key": p["person_key"], "name": f"{p['first_name']} {p['last_name']}",
            "email_normalized": p["email"], "is_contractor": p["is_contractor"],
            "harvest_user_id": p["harvest_user_id"], "forecast_person_id": p["forecast_person_id"],
            "forecast_harvest_user_id": p["harvest_user_id"],
            "jira_account_id": p["jira_account_id"], "qbo_employee_id": p["qbo_employee_id"],
            "qbo_vendor_id": p["qbo_vendor_id"],
            "emails": {"harvest": p["harvest_email"] if p["in_harvest"] else None,
                       "forecast": p["forecast_email"],
                       "jira": p["jira_email"] if p["in_jira"] else None,
                       "qbo": p["qbo_email"] if p["in_qbo"] else None},
            "jira_email_hidden": p["in_jira"] and p["jira_email"] is None,
            "active": not p["departed"], "departed_on": p["left_on"].isoformat() if p["left_on"] else None,
        })
    return out


def _clients(w: World) -> list[dict[str, Any]]:
    return [{"client_key": c["client_key"], "harvest_client_id": c["harvest_client_id"],
             "forecast_client_id": c["forecast_client_id"], "forecast_harvest_id": c["harvest_client_id"],
             "qbo_customer_id": c["qbo_customer_id"], "names": {"harvest": c["name"], "forecast": c["name"],
                                                               "qbo": c["qbo_name"]},
             "qbo_name_differs": c["name"] != c["qbo_name"], "active": c["is_active"],
             "qbo_ambiguous_with": [q["qbo_customer_id"] for q in w.qbo_only_customers
                                    if q["ambiguous_with"] == c["client_key"]]}
            for c in w.clients]


def _projects(w: World) -> list[dict[str, Any]]:
    out = [{"project_key": p["project_key"], "client_key": p["client_key"], "code": p["code"], "name": p["name"],
            "harvest_project_id": p["harvest_project_id"], "forecast_project_id": p["forecast_project_id"],
            "forecast_harvest_id": p["harvest_project_id"], "qbo_customer_id": p["qbo_job_id"],
            "qbo_name_has_code": p["qbo_name_has_code"], "jira_project_id": p["jira_project_id"],
            "jira_project_key": p["jira_key"], "archived": p["archived"]} for p in w.projects]
    fo = w.forecast_only_project
    out.append({"project_key": fo["project_key"], "client_key": None, "code": None, "name": fo["name"],
                "harvest_project_id": None, "forecast_project_id": fo["id"], "forecast_harvest_id": None,
                "qbo_customer_id": None, "qbo_name_has_code": None, "jira_project_id": None,
                "jira_project_key": None, "archived": False})
    return out


def _counts(w: World) -> dict[str, dict[str, int]]:
    def cnt(system: str, resource: str, base: int) -> int:
        provider = w.count_providers.get(f"{system}.{resource}")
        return provider() if provider else base

    n_jobs, n_cust = len(w.projects), len(w.clients) + len(w.qbo_only_customers)
    return {
        "harvest": {r: w.count("harvest", r) for r in HARVEST_STREAMS},
        "forecast": {r: w.count("forecast", r) for r in FORECAST_STREAMS},
        "qbo": {"Customer": cnt("qbo", "Customer", n_cust + n_jobs),
                "Employee": cnt("qbo", "Employee", sum(1 for p in w.people if p["qbo_employee_id"])),
                "Vendor": cnt("qbo", "Vendor", sum(1 for p in w.people if p["qbo_vendor_id"])),
                "TimeActivity": cnt("qbo", "TimeActivity", w.scale.time_activities),
                "Invoice": cnt("qbo", "Invoice", len(w.invoices)),
                "Payment": cnt("qbo", "Payment", sum(1 for i in w.invoices if i["state"] == "paid"))},
        "jira": {"users": cnt("jira", "users", len(w.jira_people)),
                 "projects": cnt("jira", "projects", len(w.jira_projects)),
                 "issues": cnt("jira", "issues", len(w.jira_projects) * w.scale.issues_per_project),
                 "worklogs": cnt("jira", "worklogs", w.scale.worklogs)},
    }


def _harvest_entries(w: World) -> list[dict[str, Any]] | Any:
    ov = w.overlay("harvest", "time_entries")
    for i in range(w.scale.time_entries):
        rec = ov.apply(w.time_entry(i))
        if rec is not None:
            yield rec
    yield from ov.created.values()


def build_truth(w: World) -> dict[str, Any]:
    hours: dict[tuple[int | None, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    linked: dict[int, tuple[int, int, date, int, int]] = {}
    for rec in _harvest_entries(w):
        hours[(rec["project_id"], rec["spent_date"].isoformat()[:7])][0] += current_hours(w, rec)
        j = rec.get("linked_worklog_index")
        if j is not None and rec.get("jira_issue_id") is not None:
            linked[j] = (rec["id"], rec["user_id"], rec["spent_date"], round(rec["hours"] * 3600),
                         rec["jira_issue_id"])
    worklogs = w.providers.get("jira.worklogs")
    pairs: list[dict[str, Any]] = []
    n_pairs = 0
    for wl in (worklogs() if worklogs else (w.jira_worklog(j) for j in range(w.scale.worklogs))):
        facts = linked.get(wl.get("index")) if wl.get("harvest_entry_id") else None
        person = w.people[wl["person_index"]]
        if facts and facts[1:] == (person["harvest_user_id"], wl["started"].date(), wl["seconds"], wl["issue_id"]):
            n_pairs += 1
            if len(pairs) < PAIR_LIST_CAP:
                pairs.append({"harvest_entry_id": facts[0], "jira_worklog_id": str(wl["id"]),
                              "jira_issue_id": str(wl["issue_id"])})
            continue
        pid = w.projects[wl["project_index"]]["harvest_project_id"]
        hours[(pid, wl["started"].date().isoformat()[:7])][1] += wl["seconds"] / 3600
    activities = w.providers.get("qbo.time_activities")
    for ta in (activities() if activities else (w.time_activity(k) for k in range(w.scale.time_activities))):
        p = ta["project_index"]
        pid = w.projects[p]["harvest_project_id"] if p is not None else None
        hours[(pid, ta["txn_date"].isoformat()[:7])][2] += ta["hours"] + ta["minutes"] / 60
    dedup = [{"harvest_project_id": pid, "month": month, "hours": round(sum(v), 4),
              "harvest_hours": round(v[0], 4), "jira_only_hours": round(v[1], 4), "qbo_hours": round(v[2], 4)}
             for (pid, month), v in sorted(hours.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))]
    running = w.overlay("harvest", "time_entries").apply(w.time_entry(w.running_index))
    return {
        "company": w.company, "name": w.name, "scale": w.scale.name, "seed": w.seed,
        "anchor": w.anchor.isoformat(), "now": w.clock.iso(),
        "accounts": {"harvest_account_id": w.harvest_account_id, "forecast_account_id": w.forecast_account_id,
                     "qbo_realm_id": w.qbo_realm_id, "jira_site": w.jira_site,
                     "harvest_member_token": w.harvest_member_token,
                     "harvest_member_user_id": w.harvest_member_user_id},
        "people": _people(w), "clients": _clients(w), "projects": _projects(w),
        "qbo_only_customers": w.qbo_only_customers,
        "conventions": {"jira_key_from_code": "drop the dash and leading zeros: NWT-002 -> NWT2",
                        "qbo_job_display_name": "'<code> <project name>' (except qbo_name_has_code=false)"},
        "counts": _counts(w),
        "duplicate_pair_count": n_pairs, "duplicate_pairs": pairs,
        "duplicate_pairs_truncated": n_pairs > len(pairs),
        "running_timer": ({"harvest_entry_id": running["id"], "project_id": running["project_id"],
                           "hours_now": current_hours(w, running)}
                          if running and running.get("is_running") else None),
        "dedup_hours": dedup,
    }
