"""World records -> Harvest v2 JSON shapes (field lists in /work/shared/api/harvest_forecast.md §1.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulators.world import World
from simulators.world_core import iso_z, to_wire
from simulators.world_dims import ROLE_NAMES
from simulators.world_streams import current_hours


def fmt(value: Any) -> Any:
    """Harvest wire format: ``…SSZ`` timestamps, ISO dates, recursively."""
    return to_wire(value, iso_z)


class HarvestIndex:
    """Per-world lookups from Harvest ids to the JSON fragments embedded in time entries."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.users = {p["harvest_user_id"]: p for p in w.people if p["in_harvest"]}
        self.projects = {p["harvest_project_id"]: p for p in w.projects}
        self.tasks = {t["id"]: t for t in w.tasks}
        self.task_assignments = {ta["id"]: ta for ta in w.task_assignments}
        self.user_assignments = {(w.people[ua["person_index"]]["harvest_user_id"],
                                  w.projects[ua["project_index"]]["harvest_project_id"]): ua
                                 for ua in w.user_assignments}
        self.invoices = {inv["id"]: inv for inv in w.invoices}
        self.ua_json = {key: {
            "id": ua["id"], "is_project_manager": ua["is_project_manager"], "is_active": ua["is_active"],
            "use_default_rates": True, "budget": None, "created_at": iso_z(ua["created_at"]),
            "updated_at": iso_z(ua["created_at"]), "hourly_rate": ua["hourly_rate"]}
            for key, ua in self.user_assignments.items()}
        self.ta_json = {ta["id"]: {
            "id": ta["id"], "billable": ta["billable"], "is_active": ta["is_active"],
            "created_at": iso_z(ta["created_at"]), "updated_at": iso_z(ta["created_at"]),
            "hourly_rate": ta["hourly_rate"], "budget": None} for ta in w.task_assignments}
        self.group_account = f"{w.number:04d}-cloud"
        self._user_refs: dict[int | None, dict[str, Any]] = {}
        self._project_refs: dict[int | None, dict[str, Any]] = {}
        self._client_refs: dict[int | None, dict[str, Any]] = {}
        self._task_refs: dict[int, dict[str, Any]] = {}

    # The embedded user/client/project/task objects repeat on every entry; each is built once and
    # shared (they are only serialised, never changed). Names come from the world's fixed dimensions.
    def user_ref(self, uid: int | None) -> dict[str, Any]:
        ref = self._user_refs.get(uid)
        if ref is None:
            p = self.users.get(uid)
            ref = self._user_refs[uid] = {"id": uid, "name": f"{p['first_name']} {p['last_name']}" if p else None}
        return ref

    def project_ref(self, pid: int | None) -> dict[str, Any]:
        ref = self._project_refs.get(pid)
        if ref is None:
            p = self.projects.get(pid)
            ref = self._project_refs[pid] = {"id": pid, "name": p["name"] if p else None,
                                             "code": p["code"] if p else None}
        return ref

    def client_ref(self, pid: int | None) -> dict[str, Any]:
        ref = self._client_refs.get(pid)
        if ref is None:
            p = self.projects.get(pid)
            c = self.w.clients[p["client_index"]] if p else None
            ref = self._client_refs[pid] = {"id": c["harvest_client_id"] if c else None,
                                            "name": c["name"] if c else None, "currency": "USD"}
        return ref

    def task_ref(self, tid: int) -> dict[str, Any]:
        ref = self._task_refs.get(tid)
        if ref is None:
            task = self.tasks.get(tid)
            ref = self._task_refs[tid] = {"id": tid, "name": task["name"] if task else None}
        return ref


def time_entry_json(w: World, ix: HarvestIndex, rec: dict[str, Any]) -> dict[str, Any]:
    hours = current_hours(w, rec)
    inv = ix.invoices.get(rec.get("invoice_id"))
    issue_id = rec.get("jira_issue_id")
    project = ix.projects.get(rec["project_id"])
    return {
        "id": rec["id"], "spent_date": rec["spent_date"].isoformat(), "hours": hours,
        "hours_without_timer": rec.get("hours_without_timer", rec["hours"]) if rec.get("is_running")
        else rec["hours"], "rounded_hours": round(round(hours * 4) / 4, 2),
        "notes": rec.get("notes"), "is_locked": rec.get("is_locked", False),
        "locked_reason": "Item Invoiced and Approved" if rec.get("is_locked") else None,
        "is_closed": rec.get("is_closed", False), "is_billed": inv is not None,
        "timer_started_at": iso_z(rec["timer_started_at"]) if rec.get("timer_started_at") else None,
        "started_time": rec.get("started_time"), "ended_time": rec.get("ended_time"),
        "is_running": bool(rec.get("is_running")), "billable": rec.get("billable", True), "budgeted": True,
        "billable_rate": project["hourly_rate"] if project and rec.get("billable", True) else None,
        "cost_rate": ix.users[rec["user_id"]]["cost_rate"] if rec["user_id"] in ix.users else None,
        "created_at": iso_z(rec["created_at"]), "updated_at": iso_z(rec["updated_at"]),
        "user": ix.user_ref(rec["user_id"]), "client": ix.client_ref(rec["project_id"]),
        "project": ix.project_ref(rec["project_id"]), "task": ix.task_ref(rec["task_id"]),
        "user_assignment": ix.ua_json.get((rec["user_id"], rec["project_id"])),
        "task_assignment": ix.ta_json.get(rec.get("task_assignment_id")),
        "external_reference": None if issue_id is None else {
            "id": str(issue_id), "group_id": str(project["jira_project_id"]) if project else None,
            "account_id": ix.group_account,
            "permalink": f"https://{w.jira_site}.atlassian.net/browse/{rec.get('jira_issue_key')}",
            "service": f"{w.jira_site}.atlassian.net",
            "service_icon_url": "https://proxy.harvestfiles.com/production_harvestapp_public/uploads/"
                                "platform_icons/jira.png"},
        "invoice": None if inv is None else {"id": inv["id"], "number": inv["number"]},
    }


def users(w: World) -> list[dict[str, Any]]:
    out = []
    for p in w.people:
        if not p["in_harvest"]:
            continue
        manager = p["person_key"] in ("p001", "p002")
        out.append({
            "id": p["harvest_user_id"], "first_name": p["first_name"], "last_name": p["last_name"],
            "email": p["harvest_email"], "telephone": "", "timezone": p["timezone"],
            "has_access_to_all_future_projects": False, "is_contractor": p["is_contractor"],
            "is_active": not p["departed"], "weekly_capacity": p["weekly_capacity"],
            "default_hourly_rate": p["hourly_rate"], "cost_rate": p["cost_rate"], "roles": [p["role"]],
            "access_roles": ["administrator"] if p["person_key"] == "p001" else
                            (["manager", "project_creator"] if manager else ["member"]),
            "permissions_claims": ["expenses:read:own", "timers:read:own"],
            "avatar_url": f"https://d3s3969qhosaug.cloudfront.net/v2/{p['harvest_user_id']}.png",
            "created_at": p["created_at"],
            "updated_at": p["left_on"] and datetime.combine(p["left_on"], p["created_at"].timetz())
                          or p["created_at"]})
    return out


def clients(w: World) -> list[dict[str, Any]]:
    return [{"id": c["harvest_client_id"], "name": c["name"], "is_active": c["is_active"],
             "address": f"{10 + k} Main Street\nSpringfield", "statement_key": f"{c['harvest_client_id']:x}",
             "currency": c["currency"], "created_at": c["created_at"], "updated_at": c["created_at"]}
            for k, c in enumerate(w.clients)]


def projects(w: World) -> list[dict[str, Any]]:
    out = []
    for p in w.projects:
        c = w.clients[p["client_index"]]
        out.append({
            "id": p["harvest_project_id"], "name": p["name"], "code": p["code"], "is_active": p["is_active"],
            "is_billable": p["is_billable"], "is_fixed_fee": False, "bill_by": "Project" if p["is_billable"]
            else "none", "hourly_rate": p["hourly_rate"], "budget": p["budget"], "budget_by": "project",
            "budget_is_monthly": False, "notify_when_over_budget": True,
            "over_budget_notification_percentage": 80.0, "over_budget_notification_date": None,
            "show_budget_to_all": False, "cost_budget": None, "cost_budget_include_expenses": False,
            "fee": None, "notes": "", "starts_on": p["starts_on"], "ends_on": p["ends_on"],
            "created_at": p["created_at"],
            "updated_at": datetime.combine(p["ends_on"], p["created_at"].timetz()) if p["ends_on"]
            else p["created_at"],
            "client": {"id": c["harvest_client_id"], "name": c["name"], "currency": c["currency"]}})
    return out


def tasks(w: World) -> list[dict[str, Any]]:
    return [{**{k: t[k] for k in ("id", "name", "billable_by_default", "default_hourly_rate", "is_default",
                                  "is_active", "created_at")}, "updated_at": t["created_at"]} for t in w.tasks]


def roles(w: World) -> list[dict[str, Any]]:
    return [{"id": 7_000 + r, "name": name,
             "user_ids": [p["harvest_user_id"] for p in w.people if p["in_harvest"] and p["role"] == name],
             "created_at": w.people[0]["created_at"], "updated_at": w.people[0]["created_at"]}
            for r, name in enumerate(ROLE_NAMES)]


def task_assignments(w: World) -> list[dict[str, Any]]:
    out = []
    for ta in w.task_assignments:
        p, t = w.projects[ta["project_index"]], w.tasks[ta["task_index"]]
        out.append({"id": ta["id"], "billable": ta["billable"], "is_active": ta["is_active"],
                    "hourly_rate": ta["hourly_rate"], "budget": None, "created_at": ta["created_at"],
                    "updated_at": ta["created_at"],
                    "project": {"id": p["harvest_project_id"], "name": p["name"], "code": p["code"]},
                    "task": {"id": t["id"], "name": t["name"]}})
    return out


def user_assignments(w: World) -> list[dict[str, Any]]:
    out = []
    for ua in w.user_assignments:
        p, u = w.projects[ua["project_index"]], w.people[ua["person_index"]]
        out.append({"id": ua["id"], "is_project_manager": ua["is_project_manager"], "is_active": ua["is_active"],
                    "use_default_rates": True, "budget": None, "hourly_rate": ua["hourly_rate"],
                    "created_at": ua["created_at"], "updated_at": ua["created_at"],
                    "project": {"id": p["harvest_project_id"], "name": p["name"], "code": p["code"]},
                    "user": {"id": u["harvest_user_id"], "name": f"{u['first_name']} {u['last_name']}"}})
    return out


def invoices(w: World) -> list[dict[str, Any]]:
    out = []
    for inv in w.invoices:
        c = w.clients[inv["client_index"]]
        lines = [{"id": ln["id"], "kind": ln["kind"], "description": w.projects[ln["project_index"]]["name"],
                  "quantity": ln["quantity"], "unit_price": ln["unit_price"],
                  "amount": round(ln["quantity"] * ln["unit_price"], 2), "taxed": False, "taxed2": False,
                  "project": {"id": w.projects[ln["project_index"]]["harvest_project_id"],
                              "name": w.projects[ln["project_index"]]["name"],
                              "code": w.projects[ln["project_index"]]["code"]}}
                 for ln in inv["lines"]]
        paid = inv["paid_date"]
        out.append({
            "id": inv["id"], "client_key": f"{inv['id']:x}k", "number": inv["number"], "purchase_order": "",
            "amount": inv["amount"], "due_amount": 0.0 if paid else inv["amount"], "tax": None,
            "tax_amount": 0.0, "tax2": None, "tax2_amount": 0.0, "discount": None, "discount_amount": 0.0,
            "subject": f"Services {inv['period_start']:%B %Y}", "notes": "", "currency": "USD",
            "state": inv["state"], "period_start": inv["period_start"], "period_end": inv["period_end"],
            "issue_date": inv["issue_date"], "due_date": inv["due_date"], "payment_term": "net 30",
            "payment_options": ["credit_card"], "sent_at": inv["created_at"],
            "paid_at": datetime.combine(paid, inv["created_at"].timetz()) if paid else None, "paid_date": paid,
            "closed_at": None, "recurring_invoice_id": None, "created_at": inv["created_at"],
            "updated_at": datetime.combine(paid, inv["created_at"].timetz()) if paid else inv["created_at"],
            "client": {"id": c["harvest_client_id"], "name": c["name"]}, "estimate": None, "retainer": None,
            "creator": {"id": w.people[0]["harvest_user_id"], "name": "Admin"}, "line_items": lines})
    return out


def expenses(w: World) -> list[dict[str, Any]]:
    out = []
    for e in w.expenses:
        p, u = w.projects[e["project_index"]], w.people[e["person_index"]]
        c = w.clients[p["client_index"]]
        name, unit_price, unit_name = e["category"]
        out.append({
            "id": e["id"], "notes": e["notes"], "total_cost": e["total_cost"], "units": e["units"],
            "is_closed": False, "is_locked": False, "is_billed": False, "locked_reason": None,
            "spent_date": e["spent_date"], "created_at": e["created_at"], "updated_at": e["created_at"],
            "billable": e["billable"], "receipt": None, "user_assignment": None, "invoice": None,
            "user": {"id": u["harvest_user_id"], "name": f"{u['first_name']} {u['last_name']}"},
            "project": {"id": p["harvest_project_id"], "name": p["name"], "code": p["code"]},
            "client": {"id": c["harvest_client_id"], "name": c["name"], "currency": "USD"},
            "expense_category": {"id": 4_000 + hash_small(name), "name": name, "unit_price": unit_price,
                                 "unit_name": unit_name}})
    return out


def hash_small(name: str) -> int:
    return sum(map(ord, name)) % 997


def company(w: World, patch: dict[str, Any]) -> dict[str, Any]:
    return {"base_uri": f"https://{w.company}.harvestapp.com", "full_domain": f"{w.company}.harvestapp.com",
            "name": w.name, "is_active": True, "week_start_day": "Monday", "wants_timestamp_timers": False,
            "time_format": "hours_minutes", "date_format": "%Y-%m-%d", "plan_type": "simple-v4",
            "clock": "12h", "currency": "USD", "currency_code_display": "iso_code_with_symbol",
            "decimal_symbol": ".", "thousands_separator": ",", "color_scheme": "orange",
            "weekly_capacity": 144000, "expense_feature": True, "invoice_feature": True,
            "estimate_feature": False, "approval_feature": True, "team_feature": True, **patch}
