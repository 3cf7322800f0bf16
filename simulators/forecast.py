"""Harvest Forecast simulator (checklist: /work/shared/api/harvest_forecast.md §6 items 13-18).

No pagination, no ``updated_since``, millisecond ``updated_at``. ``/assignments`` needs ``start_date`` and
``end_date`` at most 180 days apart and returns every assignment overlapping the window, so neighbouring
windows repeat rows. The rate limit (100 / 15 s by default) is our assumption: the real one is undocumented.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from simulators.framework import RateLimit, Request, Response, Router, VendorApp, json_response
from simulators.world import World, WorldRegistry
from simulators.world_core import to_wire

MAX_WINDOW_DAYS = 180
SINGULAR = {"people": "person", "projects": "project", "clients": "client", "placeholders": "placeholder",
            "roles": "role", "milestones": "milestone", "assignments": "assignment"}


def ms(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def fmt(value: Any) -> Any:
    """Forecast wire format: millisecond ``…SSS Z`` timestamps, ISO dates, recursively."""
    return to_wire(value, ms)


def people(w: World) -> list[dict[str, Any]]:
    admin = w.people[0]["forecast_person_id"]
    out = []
    for k, p in enumerate(w.people):
        days = {d: True for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
        if k % 3 != 1:  # some accounts send weekend keys, others omit them
            days.update(saturday=False, sunday=False)
        out.append({
            "id": p["forecast_person_id"], "first_name": p["first_name"], "last_name": p["last_name"],
            "email": p["forecast_email"], "login": "disabled" if p["departed"] else "enabled",
            "admin": k == 0, "archived": p["departed"], "subscribed": not p["departed"],
            "avatar_url": f"https://secure.gravatar.com/avatar/{p['forecast_person_id']:x}",
            "roles": [p["role"]], "teams": [], "updated_at": p["created_at"], "updated_by_id": admin,
            "harvest_user_id": p["harvest_user_id"], "weekly_capacity": p["weekly_capacity"],
            "working_days": days, "color_blind": False, "personal_feed_token_id": None})
    return out


def clients(w: World) -> list[dict[str, Any]]:
    return [{"id": c["forecast_client_id"], "name": c["name"], "harvest_id": c["harvest_client_id"],
             "archived": not c["is_active"], "updated_at": c["created_at"],
             "updated_by_id": w.people[0]["forecast_person_id"]} for c in w.clients]


def projects(w: World) -> list[dict[str, Any]]:
    out = [{"id": p["forecast_project_id"], "name": p["name"], "color": ("blue", "green", "orange")[k % 3],
            "code": p["code"], "notes": None, "start_date": p["starts_on"], "end_date": p["ends_on"],
            "harvest_id": p["harvest_project_id"], "client_id": w.clients[p["client_index"]]["forecast_client_id"],
            "archived": p["archived"], "budget_by": "none", "budget_is_monthly": False, "tags": [],
            "updated_at": p["created_at"], "updated_by_id": w.people[0]["forecast_person_id"]}
           for k, p in enumerate(w.projects)]
    fo = w.forecast_only_project
    out.append({"id": fo["id"], "name": fo["name"], "color": "black", "code": None, "notes": None,
                "start_date": None, "end_date": None, "harvest_id": None, "client_id": None, "archived": False,
                "budget_by": "none", "budget_is_monthly": False, "tags": [],
                "updated_at": w.people[0]["created_at"], "updated_by_id": w.people[0]["forecast_person_id"]})
    return out


def placeholders(w: World) -> list[dict[str, Any]]:
    return [{**ph, "teams": [], "updated_at": w.people[0]["created_at"],
             "updated_by_id": w.people[0]["forecast_person_id"]} for ph in w.placeholders]


def roles(w: World) -> list[dict[str, Any]]:
    names = sorted({p["role"] for p in w.people})
    return [{"id": 7_500 + r, "name": name, "harvest_role_id": 7_000 + r,
             "person_ids": [p["forecast_person_id"] for p in w.people if p["role"] == name],
             "placeholder_ids": [ph["id"] for ph in w.placeholders if name in ph["roles"]]}
            for r, name in enumerate(names)]


def milestones(w: World) -> list[dict[str, Any]]:
    return [{"id": m["id"], "name": m["name"], "date": m["date"],
             "project_id": w.projects[m["project_index"]]["forecast_project_id"],
             "updated_at": w.projects[m["project_index"]]["created_at"],
             "updated_by_id": w.people[0]["forecast_person_id"]} for m in w.milestones]


def assignments(w: World) -> list[dict[str, Any]]:
    return w.assignments


SOURCES = {"people": people, "clients": clients, "projects": projects, "placeholders": placeholders,
           "roles": roles, "milestones": milestones, "assignments": assignments}


class ForecastApp(VendorApp):
    system = "forecast"
    default_rate_limit = RateLimit(limit=100, window=15.0)

    def register(self, router: Router) -> None:
        router.add("GET", "/whoami", self.whoami)
        router.add("GET", "/accounts/{id}", self.account)
        router.add("GET", "/user_connections", self.user_connections)
        router.add("GET", "/repeated_assignment_sets", self.repeated_sets)
        for name in SOURCES:
            router.add("GET", f"/{name}", self.list)
            router.add("GET", f"/{name}/{{id}}", self.get_one)

    def authenticate(self, req: Request) -> Response | None:
        auth = req.headers.get("Authorization")
        account = req.headers.get("Forecast-Account-ID") or req.headers.get("Forecast-Account-Id")
        if not auth:
            return json_response({"reason": "missing-token"}, 401)
        if not auth.startswith("Bearer ") or len(auth) < 10:
            return json_response({"reason": "invalid-token"}, 401)
        world = self.registry.by_forecast_account(account)
        if world is None or world.harvest_role(auth[7:]) is None:
            return json_response({"reason": "non-existent-token", "account_id": account or "000000"}, 401)
        req.world = world
        return None

    def too_many_requests(self, req: Request, retry_after: int) -> Response:
        return json_response({"errors": ["Rate limit exceeded"]}, 429, {"Retry-After": str(retry_after)})

    def not_found(self, req: Request, method_allowed: bool) -> Response:
        return json_response({"errors": ["Not Found"]}, 404 if method_allowed else 405)

    def logged_headers(self, req: Request) -> dict[str, Any]:
        return {**super().logged_headers(req), "forecast_account_id": req.headers.get("Forecast-Account-ID")}

    def mutate(self, world: World, mutation: dict[str, Any]) -> dict[str, Any]:
        return world.mutate(**{"system": "forecast", **mutation})

    def rows(self, w: World, resource: str) -> list[dict[str, Any]]:
        rows = SOURCES[resource](w)
        ov = w.overlays.get(("forecast", resource))
        if ov:
            rows = [r for r in (ov.apply(x) for x in rows) if r is not None] + list(ov.created.values())
        return rows

    def whoami(self, req: Request) -> Response:
        w = req.world
        return json_response({"current_user": {"id": w.people[0]["forecast_person_id"],
                                               "account_ids": [int(w.forecast_account_id)],
                                               "identity_user_id": 3_000_000 + w.number}})

    def account(self, req: Request) -> Response:
        w = req.world
        if req.path_params["id"] != w.forecast_account_id:
            return self.not_found(req, True)
        return json_response({"account": {
            "id": int(w.forecast_account_id), "name": w.name, "weekly_capacity": 144000,
            "color_labels": [], "harvest_subdomain": w.company, "harvest_name": w.name,
            "harvest_link": f"https://{w.company}.harvestapp.com", "weekends_enabled": False}})

    def user_connections(self, req: Request) -> Response:
        return json_response({"user_connections": []}, records=0)

    def repeated_sets(self, req: Request) -> Response:
        return json_response({"repeated_assignment_sets": []}, records=0)

    def list(self, req: Request) -> Response:
        resource = req.path.strip("/")
        rows = self.rows(req.world, resource)
        state = req.param("state")
        if resource == "assignments":
            try:
                rows = self._window(req, rows)
            except ValueError as exc:
                return json_response({"errors": [str(exc)]}, 422)
        elif state in ("active", "archived") and rows and "archived" in rows[0]:
            rows = [r for r in rows if r.get("archived", False) is (state == "archived")]
        return json_response({resource: fmt(rows)}, records=len(rows))

    def _window(self, req: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        start, end = req.param("start_date"), req.param("end_date")
        if not start or not end:
            raise ValueError("start_date and end_date are required")
        s, e = date.fromisoformat(start), date.fromisoformat(end)
        if e < s or (e - s).days > MAX_WINDOW_DAYS:
            raise ValueError(f"The date range must be at most {MAX_WINDOW_DAYS} days")
        person, project = req.param("person_id"), req.param("project_id")
        state = req.param("state")
        archived = {p["forecast_project_id"] for p in req.world.projects if p["archived"]}
        out = []
        for a in rows:
            if a["start_date"] > e or a["end_date"] < s:
                continue
            if (person and str(a["person_id"]) != person) or (project and str(a["project_id"]) != project):
                continue
            if state in ("active", "archived") and (a["project_id"] in archived) is not (state == "archived"):
                continue
            out.append(a)
        return out

    def get_one(self, req: Request) -> Response:
        resource = req.path.strip("/").split("/")[0]
        rid = req.path_params["id"]
        rec = next((r for r in self.rows(req.world, resource) if str(r["id"]) == rid), None)
        if rec is None:
            return self.not_found(req, True)
        return json_response({SINGULAR[resource]: fmt(rec)}, records=1)


def build(registry: WorldRegistry, rate_limit_scale: float = 1.0) -> ForecastApp:
    return ForecastApp(registry, rate_limit_scale)
