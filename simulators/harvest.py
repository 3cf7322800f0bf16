"""Harvest API v2 simulator (checklist: /work/shared/api/harvest_forecast.md §6 items 1, 3-10, 12).

One server serves every company of the registry, chosen by ``Harvest-Account-Id``. Dimension lists use
cursor pagination, time entries / expenses / invoices page numbers; ``updated_since`` matches
``updated_at >= value`` at second precision.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from simulators import harvest_render as hr
from simulators.framework import (
    RateLimit,
    Request,
    Response,
    Router,
    VendorApp,
    b64_json,
    json_response,
    unb64_json,
)
from simulators.world import World, WorldRegistry
from simulators.world_core import Candidates, list_merged
from simulators.world_streams import TIME_ENTRY_ID0, updated_since_floor

MAX_PER_PAGE = 2000
CURSOR_RESOURCES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "users": hr.users, "clients": hr.clients, "projects": hr.projects, "tasks": hr.tasks, "roles": hr.roles,
    "task_assignments": hr.task_assignments, "user_assignments": hr.user_assignments,
}
PAGE_RESOURCES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "expenses": hr.expenses, "invoices": hr.invoices}
NEWEST_FIRST = {"users", "projects"}
FEATURE_OF = {"expenses": "expense_feature", "invoices": "invoice_feature"}


class BadRequest(Exception):
    pass


def _parse_since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise BadRequest(f"updated_since is not ISO 8601: {value}") from exc


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value[:10] if "-" in value else f"{value[:4]}-{value[4:6]}-{value[6:8]}")
    except ValueError as exc:
        raise BadRequest(f"invalid date: {value}") from exc


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.lower() in ("true", "1", "yes")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"not an integer: {value}") from exc


def _dim_filter(req: Request) -> Callable[[dict[str, Any]], bool]:
    since = _parse_since(req.param("updated_since")) if req.param("updated_since") else None
    active = _bool(req.param("is_active"))
    client_id, project_id, user_id = _int(req.param("client_id")), _int(req.param("project_id")), \
        _int(req.param("user_id"))
    frm, to = (_parse_date(req.param(k)) if req.param(k) else None for k in ("from", "to"))

    def ok(rec: dict[str, Any]) -> bool:
        if since and rec["updated_at"].replace(microsecond=0) < since:
            return False
        if active is not None and rec.get("is_active") is not active:
            return False
        if client_id is not None and (rec.get("client") or {}).get("id") != client_id:
            return False
        if project_id is not None and (rec.get("project") or {}).get("id") != project_id:
            return False
        if user_id is not None and (rec.get("user") or {}).get("id") != user_id:
            return False
        day = rec.get("issue_date") or rec.get("spent_date")
        return not (day and ((frm and day < frm) or (to and day > to)))

    return ok


class HarvestApp(VendorApp):
    system = "harvest"
    default_rate_limit = RateLimit(limit=100, window=15.0)

    def __init__(self, registry: WorldRegistry, rate_limit_scale: float = 1.0) -> None:
        super().__init__(registry, rate_limit_scale)
        self._index: dict[str, hr.HarvestIndex] = {}
        self.company_patch: dict[str, dict[str, Any]] = {}

    def register(self, router: Router) -> None:
        router.add("GET", "/v2/company", self.company)
        router.add("GET", "/v2/users/me", self.me)
        for name in CURSOR_RESOURCES:
            router.add("GET", f"/v2/{name}", self.cursor_list)
            router.add("GET", f"/v2/{name}/{{id}}", self.get_one)
        for name in PAGE_RESOURCES:
            router.add("GET", f"/v2/{name}", self.page_list)
            router.add("GET", f"/v2/{name}/{{id}}", self.get_one)
        router.add("GET", "/v2/time_entries", self.time_entries)
        router.add("GET", "/v2/time_entries/{id}", self.time_entry)
        router.add("DELETE", "/v2/time_entries/{id}", self.delete_time_entry)

    # -- auth, errors ---------------------------------------------------------------------------
    def authenticate(self, req: Request) -> Response | None:
        if not req.headers.get("User-Agent"):
            return json_response({"error": "User-Agent header is required",
                                  "error_description": "Send User-Agent: App (contact email or url)"}, 400)
        auth = req.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else req.param("access_token")
        account = req.headers.get("Harvest-Account-Id") or req.param("account_id")
        world = self.registry.find(lambda w: w.harvest_token == token)
        if world is None:
            return json_response({"error": "invalid_token", "error_description": "The access token provided is "
                                  "expired, revoked, malformed or invalid for other reasons."}, 401)
        if not account:
            return json_response({"error": "Account ID is required",
                                  "error_description": "Send the Harvest-Account-Id header"}, 401)
        req.world = self.registry.by_harvest_account(account)
        if req.world is None or req.world.harvest_token != token:
            return json_response({"code": 403, "message": f"Account {account} is not accessible with this token"},
                                 403)
        return None

    def too_many_requests(self, req: Request, retry_after: int) -> Response:
        return json_response({"code": 429, "message": "Too many requests. Retry later."}, 429,
                             {"Retry-After": str(retry_after)})

    def not_found(self, req: Request, method_allowed: bool) -> Response:
        return json_response({"code": 404 if method_allowed else 405,
                              "message": "Not found" if method_allowed else "Method not allowed"},
                             404 if method_allowed else 405)

    def logged_headers(self, req: Request) -> dict[str, Any]:
        return {**super().logged_headers(req), "harvest_account_id": req.headers.get("Harvest-Account-Id")}

    def mutate(self, world: World, mutation: dict[str, Any]) -> dict[str, Any]:
        if mutation.get("resource") == "company":
            self.company_patch.setdefault(world.company, {}).update(mutation.get("fields") or {})
            return {"ok": True}
        return world.mutate(**{"system": "harvest", **mutation})

    def index(self, w: World) -> hr.HarvestIndex:
        if w.company not in self._index:
            self._index[w.company] = hr.HarvestIndex(w)
        return self._index[w.company]

    # -- helpers --------------------------------------------------------------------------------
    def _per_page(self, req: Request, default: int) -> int:
        n = _int(req.param("per_page")) or default
        if not 1 <= n <= MAX_PER_PAGE:
            raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}")
        return n

    def _dims(self, w: World, resource: str) -> list[dict[str, Any]]:
        source = CURSOR_RESOURCES.get(resource) or PAGE_RESOURCES[resource]
        ov = w.overlays.get(("harvest", resource))
        rows = source(w)
        if ov:
            rows = [r for r in (ov.apply(x) for x in rows) if r is not None] + list(ov.created.values())
        return rows

    def _link(self, req: Request, **extra: Any) -> str:
        keep = {k: v for k, v in req.params.items() if k not in ("page", "cursor", "ref", "per_page")}
        return f"{req.base_url}{req.path}?{urlencode({**keep, **extra})}"

    def _envelope(self, req: Request, key: str, rows: list[Any], per_page: int, total: int,
                  page: int | None, next_url: str | None, prev_url: str | None) -> Response:
        pages = max(1, -(-total // per_page))
        body = {key: rows, "per_page": per_page, "total_pages": pages, "total_entries": total,
                "next_page": page + 1 if page is not None and page < pages else None,
                "previous_page": page - 1 if page is not None and page > 1 else None, "page": page,
                "links": {"first": self._link(req, page=1, per_page=per_page, ref="first"),
                          "next": next_url, "previous": prev_url,
                          "last": self._link(req, page=pages, per_page=per_page, ref="last")}}
        return json_response(body, records=len(rows))

    def _guard(self, req: Request, resource: str | None = None) -> Response | None:
        feature = FEATURE_OF.get(resource or "")
        if feature and not self.company_patch.get(req.world.company, {}).get(feature, True):
            return json_response({"code": 403, "message": f"The {feature} is disabled"}, 403)
        return None

    # -- handlers -------------------------------------------------------------------------------
    def company(self, req: Request) -> Response:
        return json_response(hr.company(req.world, self.company_patch.get(req.world.company, {})))

    def me(self, req: Request) -> Response:
        return json_response(hr.fmt(next(u for u in hr.users(req.world) if "administrator" in u["access_roles"])))

    def cursor_list(self, req: Request) -> Response:
        resource = req.path.rstrip("/").rsplit("/", 1)[1]
        try:
            per_page, ok = self._per_page(req, MAX_PER_PAGE), _dim_filter(req)
            cursor = unb64_json(req.param("cursor")) if req.param("cursor") else None
        except (BadRequest, ValueError) as exc:
            return json_response({"code": 422, "message": str(exc)}, 422)
        newest = resource in NEWEST_FIRST
        rows = sorted((r for r in self._dims(req.world, resource) if ok(r)),
                      key=lambda r: (r["created_at"], r["id"]) if newest else (r["id"],), reverse=newest)
        total = len(rows)
        if cursor is not None:
            after = cursor["after"]
            if newest:
                key = (datetime.fromisoformat(after["created_at"]), after["id"])
                start = sum(1 for r in rows if (r["created_at"], r["id"]) >= key)
            else:
                start = sum(1 for r in rows if r["id"] <= after["id"])
            page = None
        else:
            page = _int(req.param("page")) or 1
            start = (page - 1) * per_page
        chunk = rows[start:start + per_page]
        more = start + per_page < total
        next_url = None
        if more and chunk:
            last = chunk[-1]
            after = {"id": last["id"], **({"created_at": last["created_at"].isoformat()} if newest else {})}
            next_url = self._link(req, cursor=b64_json({"after": after}), per_page=per_page, ref="next_cursor")
        pages = max(1, -(-total // per_page))
        if page is None and not more:
            page = pages
        elif page is not None and 1 < page and more:
            page = None
        return self._envelope(req, resource, hr.fmt(chunk), per_page, total, page, next_url, None)

    def page_list(self, req: Request) -> Response:
        resource = req.path.rstrip("/").rsplit("/", 1)[1]
        denied = self._guard(req, resource)
        if denied:
            return denied
        try:
            per_page = self._per_page(req, 100 if resource == "invoices" else MAX_PER_PAGE)
            ok, page = _dim_filter(req), _int(req.param("page")) or 1
        except BadRequest as exc:
            return json_response({"code": 422, "message": str(exc)}, 422)
        day = "issue_date" if resource == "invoices" else "spent_date"
        rows = sorted((r for r in self._dims(req.world, resource) if ok(r)),
                      key=lambda r: (r[day], r["id"]), reverse=True)
        chunk = rows[(page - 1) * per_page: page * per_page]
        return self._paged(req, resource, hr.fmt(chunk), per_page, len(rows), page)

    def _paged(self, req: Request, key: str, rows: list[Any], per_page: int, total: int, page: int) -> Response:
        pages = max(1, -(-total // per_page))
        nxt = self._link(req, page=page + 1, per_page=per_page) if page < pages else None
        prev = self._link(req, page=page - 1, per_page=per_page) if page > 1 else None
        return self._envelope(req, key, rows, per_page, total, page, nxt, prev)

    def get_one(self, req: Request) -> Response:
        resource = req.path.strip("/").split("/")[1]
        denied = self._guard(req, resource)
        if denied:
            return denied
        rid = _int(req.path_params["id"]) if req.path_params["id"].isdigit() else None
        rec = next((r for r in self._dims(req.world, resource) if r["id"] == rid), None)
        if rec is None:
            return self.not_found(req, True)
        return json_response(hr.fmt(rec), records=1)

    def time_entries(self, req: Request) -> Response:
        w = req.world
        try:
            per_page, page = self._per_page(req, MAX_PER_PAGE), _int(req.param("page")) or 1
            total, rows = self._entries(req, w, (page - 1) * per_page, per_page)
        except BadRequest as exc:
            return json_response({"code": 422, "message": str(exc)}, 422)
        ix = self.index(w)
        return self._paged(req, "time_entries", [hr.time_entry_json(w, ix, r) for r in rows], per_page,
                           total, page)

    def _entries(self, req: Request, w: World, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        frm = _parse_date(req.param("from")) if req.param("from") else None
        to = _parse_date(req.param("to")) if req.param("to") else None
        since = _parse_since(req.param("updated_since")) if req.param("updated_since") else None
        ids = {k: _int(req.param(k)) for k in ("user_id", "project_id", "client_id", "task_id")}
        running, billed = _bool(req.param("is_running")), _bool(req.param("is_billed"))
        ix = self.index(w)

        def ok(r: dict[str, Any]) -> bool:
            if (frm and r["spent_date"] < frm) or (to and r["spent_date"] > to):
                return False
            if since and r["updated_at"].replace(microsecond=0) < since:
                return False
            if running is not None and bool(r.get("is_running")) is not running:
                return False
            if billed is not None and (r.get("invoice_id") is not None) is not billed:
                return False
            if ids["client_id"] is not None and ix.client_ref(r["project_id"])["id"] != ids["client_id"]:
                return False
            return all(v is None or r.get(k) == v for k, v in ids.items() if k != "client_id")

        lo_day = max(d for d in (frm, since and updated_since_floor(since)) if d) if (frm or since) else None
        lo, hi = w.entry_dates.index_range(lo_day, to)
        ov = w.overlay("harvest", "time_entries")
        touched = {rid - TIME_ENTRY_ID0 for rid in ov.touched()}
        if running is True:
            lo, hi = max(lo, w.running_index), min(hi, w.running_index + 1)
        if since or running is not None or billed is not None or any(v is not None for v in ids.values()):
            explicit = [i for i in range(lo, hi) if i not in touched and ok(w.time_entry(i))]
            cands = Candidates(lo, hi, explicit=explicit)
        else:
            cands = Candidates(lo, hi, excluded=touched)
        extras = [r for r in (ov.apply(w.time_entry(i)) for i in sorted(touched) if 0 <= i < w.scale.time_entries)
                  if r is not None and ok(r)]
        extras += [r for r in ov.created.values() if ok(r)]
        first = w.entry_dates.first_index_on_or_after

        def base_pos(r: dict[str, Any]) -> int:
            i = r.get("index") if r["id"] < TIME_ENTRY_ID0 + w.scale.time_entries else None
            lo_d, hi_d = first(r["spent_date"]), first(r["spent_date"] + timedelta(days=1))
            return hi_d if i is None else min(max(i, lo_d), hi_d)

        return list_merged(cands, extras, base_pos, lambda r: (r["spent_date"], r["id"]),
                           lambda i: w.time_entry(i), offset, limit, descending=True)

    def time_entry(self, req: Request) -> Response:
        w = req.world
        rid = _int(req.path_params["id"]) if req.path_params["id"].isdigit() else -1
        ov = w.overlay("harvest", "time_entries")
        rec = ov.created.get(rid)
        i = rid - TIME_ENTRY_ID0
        if rec is None and 0 <= i < w.scale.time_entries:
            rec = ov.apply(w.time_entry(i))
        if rec is None:
            return self.not_found(req, True)
        return json_response(hr.time_entry_json(w, self.index(w), rec), records=1)

    def delete_time_entry(self, req: Request) -> Response:
        try:
            req.world.mutate("harvest", "time_entries", "delete", int(req.path_params["id"]))
        except (KeyError, ValueError):
            return self.not_found(req, True)
        return Response(200, b"", {}, 0)


def build(registry: WorldRegistry, rate_limit_scale: float = 1.0) -> HarvestApp:
    return HarvestApp(registry, rate_limit_scale)
