"""Small dimension tables of a world: people, clients, projects, tasks and their per-system shapes.

Each canonical record is a flat dict whose field names follow the owning vendor (Harvest snake_case,
Forecast snake_case, QBO ``PascalCase``, Jira camelCase), plus cross-system keys (``person_key``,
``client_key``, ``project_key``) that only the truth API exposes.

Conventions (what reconciliation may rely on):
- Harvest project code ``"NWT-002"`` <-> Jira project key ``"NWT2"`` (code without dash and leading zeros).
- QBO sub-customer (``Job=true``) ``DisplayName`` is ``"<code> <project name>"`` except one job per world
  (``qbo_name_has_code=false`` in truth) that carries the bare name.
- Emails differ across systems only by case and surrounding whitespace; Jira hides some (``None``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulators.world_core import Rng, dt_at, stable_int

if TYPE_CHECKING:
    from simulators.world import World

FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger",
         "Radia", "Donald", "Hedy", "Niklaus", "Katherine", "John", "Sophie", "Tim", "Anita", "Guido"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen",
        "Dijkstra", "Perlman", "Knuth", "Lamarr", "Wirth", "Johnson", "Backus", "Wilson", "Berners",
        "Borg", "Rossum"]
CLIENTS = [("Northwind Traders", "Northwind Traders, Inc."), ("Contoso", "CONTOSO LTD"),
           ("Fabrikam", "Fabrikam, Inc."), ("Tailspin Toys", "Tailspin Toys"),
           ("Woodgrove Bank", "Woodgrove Bank N.A."), ("Litware", "Litware Inc"),
           ("Adventure Works", "Adventure Works Cycles"), ("Proseware", "Proseware"),
           ("Coho Winery", "Coho Winery LLC"), ("Wingtip Toys", "Wingtip Toys")]
PROJECT_NAMES = ["Website Rebuild", "Data Platform", "Mobile App", "ERP Migration", "Security Audit",
                 "Analytics Dashboard", "API Gateway", "Support Retainer", "Cloud Cost Review", "CRM Rollout"]
TASKS = [("Development", True), ("Design", True), ("Project Management", True), ("QA", True),
         ("Meetings", False), ("Research", False)]
ROLE_NAMES = ["Engineering", "Design", "Management"]
TIMEZONES = ["Eastern Time (US & Canada)", "Pacific Time (US & Canada)", "London", "Berlin"]
COMPANY_NUMBERS = {"acme": 1, "globex": 2, "initech": 3, "umbrella": 4, "hooli": 5}
COMPANY_NAMES = {"acme": "Acme Consulting", "globex": "Globex Services", "initech": "Initech Partners"}


def company_number(key: str) -> int:
    return COMPANY_NUMBERS.get(key, 10 + stable_int("company", key) % 900)


def company_name(key: str) -> str:
    return COMPANY_NAMES.get(key, f"{key.title()} Consulting")


def _client_names(k: int, rng: Rng) -> tuple[str, str]:
    if k < len(CLIENTS):
        return CLIENTS[k]
    base = f"{rng.choice(FIRST)} {rng.choice(LAST)} {('Group', 'Labs', 'Partners', 'Holdings')[k % 4]}"
    name = f"{base} {k}"
    return name, (name.upper() if k % 3 == 0 else f"{name}, Inc.")


def _prefix(name: str, taken: set[str], k: int) -> str:
    letters = "".join(ch for ch in name.upper() if ch.isalpha())
    for cand in (letters[:3], letters[0] + letters[2:4], letters[:2] + chr(65 + k % 26)):
        if len(cand) == 3 and cand not in taken:
            taken.add(cand)
            return cand
    cand = f"{letters[:1]}{chr(65 + k // 26 % 26)}{chr(65 + k % 26)}"
    taken.add(cand)
    return cand


def build_people(w: World) -> None:
    s, rng = w.scale, Rng(w.seed_base, 1)
    domain = f"{w.company}.test"
    w.people = []
    for k in range(s.people):
        first = FIRST[(k + rng.below(1)) % len(FIRST)]
        last = LAST[(k * 7 + k // len(FIRST)) % len(LAST)]
        contractor = k % 4 == 3
        email = (f"{first}{last[0]}@{last.lower()}-freelance.test" if contractor
                 else f"{first}.{last}@{domain}").lower()
        forecast_only, departed = k == s.people - 1, k == s.people - 2
        in_jira = not forecast_only and k % 5 != 4
        w.people.append({
            "person_key": f"p{k + 1:03d}", "first_name": first, "last_name": last, "email": email,
            "is_contractor": contractor, "departed": departed, "forecast_only": forecast_only,
            "in_harvest": not forecast_only, "in_jira": in_jira, "in_qbo": not forecast_only,
            "harvest_email": email,
            "forecast_email": email.title() if k % 3 == 0 else email,
            "jira_email": None if k % 6 == 1 else (f" {email.capitalize()}" if k % 4 == 2 else email),
            "qbo_email": email.upper() if k % 5 == 0 else (f"{email} " if k % 7 == 3 else email),
            "harvest_user_id": None if forecast_only else 4_100_000 + 37 * k,
            "forecast_person_id": 610_000 + k,
            "jira_account_id": f"5b10ac8d82e05b22cc7d{k:04x}" if in_jira else None,
            "qbo_employee_id": None if forecast_only or contractor else str(55 + k),
            "qbo_vendor_id": str(300 + k) if contractor and not forecast_only else None,
            "weekly_capacity": 126000 if k % 5 == 2 else 144000,
            "role": ROLE_NAMES[k % 3 if k % 3 != 2 or k < 6 else 0],
            "timezone": TIMEZONES[k % len(TIMEZONES)],
            "hourly_rate": 120.0 + 10 * (k % 6), "cost_rate": 55.0 + 5 * (k % 5),
            "created_at": dt_at(w.anchor - timedelta(days=900 - 30 * k), 14 * 3600),
            "left_on": w.anchor - timedelta(days=90) if departed else None,
        })


def build_clients_projects(w: World) -> None:
    s, rng = w.scale, Rng(w.seed_base, 2)
    w.clients, w.projects, taken = [], [], set()
    for k in range(s.clients):
        h_name, q_name = _client_names(k, rng)
        w.clients.append({
            "client_key": f"c{k + 1:02d}", "name": h_name, "qbo_name": q_name,
            "prefix": _prefix(h_name, taken, k), "is_active": k != s.clients - 1 or s.clients < 3,
            "harvest_client_id": 9_200_000 + 13 * k, "forecast_client_id": 710_000 + k,
            "qbo_customer_id": str(1 + k), "currency": "USD",
            "created_at": dt_at(w.anchor - timedelta(days=1000 - 11 * k), 10 * 3600),
        })
    # a second QBO customer whose name normalizes like client 1's: matching by name is ambiguous
    w.qbo_only_customers = [{"qbo_customer_id": "90", "name": w.clients[0]["name"].upper(),
                             "ambiguous_with": w.clients[0]["client_key"], "is_active": True}]
    per_client: dict[int, int] = {}
    for k in range(s.projects):
        ck = k % s.clients if k < s.clients else rng.below(max(1, s.clients - 1))
        client = w.clients[ck]
        per_client[ck] = n = per_client.get(ck, 0) + 1
        code = f"{client['prefix']}-{n:03d}"
        archived = k == 1
        in_jira = k % 5 in (0, 1, 2)
        name = PROJECT_NAMES[k % len(PROJECT_NAMES)] + ("" if k < len(PROJECT_NAMES) else f" {k}")
        w.projects.append({
            "project_key": f"j{k + 1:03d}", "client_key": client["client_key"], "client_index": ck,
            "name": name, "code": code, "is_active": not archived, "archived": archived,
            "is_billable": k % 7 != 6, "hourly_rate": 150.0 + 5 * (k % 5), "budget": 400.0 + 50 * (k % 9),
            "harvest_project_id": 31_000_000 + 11 * k, "forecast_project_id": 1_520_000 + k,
            "qbo_job_id": str(100 + k), "qbo_name_has_code": k != 2,
            "jira_project_id": str(10_000 + k) if in_jira else None,
            "jira_key": f"{client['prefix']}{n}" if in_jira else None,
            "starts_on": w.anchor - timedelta(days=s.days_back + 30),
            "ends_on": w.anchor - timedelta(days=60) if archived else None,
            "created_at": dt_at(w.anchor - timedelta(days=s.days_back + 40 - k), 15 * 3600),
        })
    w.tasks = [{"id": 8_300_000 + 3 * t, "name": n, "billable_by_default": b, "is_active": True,
                "is_default": t < 4, "default_hourly_rate": 150.0 if b else None,
                "created_at": dt_at(w.anchor - timedelta(days=1200), 9 * 3600)}
               for t, (n, b) in enumerate(TASKS)]


def build_assignments(w: World) -> None:
    """Harvest user/task assignments: each person works on a few projects, each project has 4-6 tasks."""
    rng = Rng(w.seed_base, 3)
    w.task_assignments, w.user_assignments = [], []
    w.project_tasks: dict[int, list[dict[str, Any]]] = {}
    for p, proj in enumerate(w.projects):
        n_tasks = 4 + rng.below(3)
        tas = [{"id": 160_000_000 + 16 * p + t, "project_index": p, "task_index": t,
                "billable": TASKS[t][1] and proj["is_billable"], "is_active": True,
                "hourly_rate": proj["hourly_rate"], "budget": None, "created_at": proj["created_at"]}
               for t in range(n_tasks)]
        w.project_tasks[p] = tas
        w.task_assignments.extend(tas)
    w.person_projects: dict[int, list[int]] = {}
    n_proj = len(w.projects)
    for u, person in enumerate(w.people):
        if not person["in_harvest"]:
            continue
        picks = sorted({(u + j * (1 + u % 3)) % n_proj for j in range(2 + u % 3)} | {(u * 3) % n_proj})
        w.person_projects[u] = picks
        for p in picks:
            w.user_assignments.append({
                "id": 125_000_000 + 64 * u + p, "project_index": p, "person_index": u,
                "is_active": w.projects[p]["is_active"], "is_project_manager": u % 6 == 0,
                "use_default_rates": True, "hourly_rate": person["hourly_rate"], "budget": None,
                "created_at": max(person["created_at"], w.projects[p]["created_at"])})
    w.jira_projects = [p for p, proj in enumerate(w.projects) if proj["jira_key"]]
    w.jira_people = [u for u, pr in enumerate(w.people) if pr["in_jira"]]
    w.jira_person_projects = {u: [p for p in w.person_projects.get(u, []) if w.projects[p]["jira_key"]]
                              or w.jira_projects for u in w.jira_people}


def build_forecast_extras(w: World) -> None:
    w.placeholders = [{"id": 91_000 + k, "name": n, "roles": [r], "archived": False}
                      for k, (n, r) in enumerate([("Senior Developer (TBH)", "Engineering"),
                                                  ("Designer", "Design")])]
    w.forecast_only_project = {
        "id": 1_519_999, "name": "Time Off", "code": None, "harvest_id": None,
        "client_id": None, "archived": False, "project_key": "j-time-off"}
    w.time_off_project_id = w.forecast_only_project["id"]
    w.milestones = [{"id": 55_000 + p, "name": f"{proj['name']} launch", "project_index": p,
                     "date": w.anchor + timedelta(days=20 * (p % 6) - 40)}
                    for p, proj in enumerate(w.projects) if p % 2 == 0]


def build_invoices(w: World) -> None:
    """Harvest invoices per (client, closed month); QBO holds the same invoices by ``DocNumber``."""
    rng = Rng(w.seed_base, 4)
    w.invoices = []
    month = date(w.anchor.year, w.anchor.month, 1)
    first = w.start_date.replace(day=1)
    months, m = [], first
    while m < month:
        months.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    n = 0
    for m in months:
        nxt = (m + timedelta(days=32)).replace(day=1)
        for c in range(len(w.clients)):
            projects = [p for p, pr in enumerate(w.projects) if pr["client_index"] == c and pr["is_billable"]]
            if not projects:
                continue
            lines = [{"id": 70_000_000 + 8 * n + i, "project_index": p, "kind": "Service",
                      "quantity": float(20 + rng.below(120)), "unit_price": w.projects[p]["hourly_rate"]}
                     for i, p in enumerate(projects[:6])]
            amount = round(sum(ln["quantity"] * ln["unit_price"] for ln in lines), 2)
            issue = nxt + timedelta(days=2)
            paid = nxt < month or rng.chance(3)
            w.invoices.append({
                "id": 19_000_000 + n, "number": f"{1000 + n}", "client_index": c, "lines": lines,
                "amount": amount, "period_start": m, "period_end": nxt - timedelta(days=1),
                "issue_date": issue, "due_date": issue + timedelta(days=30),
                "state": "paid" if paid else "open",
                "paid_date": issue + timedelta(days=10 + rng.below(20)) if paid else None,
                "created_at": dt_at(issue, 16 * 3600)})
            n += 1
    w.invoice_by_client_month = {(inv["client_index"], inv["period_start"].isoformat()[:7]): inv
                                 for inv in w.invoices}


def build_expenses(w: World) -> None:
    rng = Rng(w.seed_base, 5)
    w.expenses = []
    n = max(20, w.scale.time_entries // 60)
    span = (w.anchor - w.start_date).days
    for k in range(n):
        u = rng.choice(sorted(w.person_projects))
        p = rng.choice(w.person_projects[u])
        spent = w.start_date + timedelta(days=k * span // n)
        w.expenses.append({
            "id": 15_000_000 + k, "person_index": u, "project_index": p,
            "category": rng.choice([("Travel", None, None), ("Meals", None, None), ("Mileage", 0.67, "mile")]),
            "units": float(1 + rng.below(120)), "total_cost": round(10 + rng.unit() * 400, 2),
            "billable": rng.below(3) > 0, "notes": f"Expense {k}", "spent_date": spent,
            "created_at": dt_at(spent, 18 * 3600 + rng.below(3600))})


def created_stamp(d: date, rng: Rng, cap: datetime) -> datetime:
    return min(dt_at(d, 16 * 3600 + rng.below(3 * 86400)), cap - timedelta(seconds=3600 + rng.below(3600)))
