"""Harvest API v2 simulator (checklist: /work/shared/api/harvest_forecast.md §6 items 1-12).

One server serves every company of the registry, chosen by ``Harvest-Account-Id``. Dimension lists use
cursor pagination, time entries / expenses / invoices / estimates / reports page numbers; ``updated_since``
matches ``updated_at >= value`` at second precision.

The same server is the id-host (``HARVEST_ID_URL``): ``POST /api/v2/oauth2/token`` (refresh_token grant,
form fields) and ``GET /api/v2/accounts``. Tokens: the administrator PAT, a member PAT
(``world.harvest_member_token``: own time entries and expenses only, 403 on users, projects and other
admin/manager resources) and OAuth access tokens (administrator, expiring). ``/v2/reports/*`` has its own
limit, 100 requests / 15 min per account (window scaled by ``rate_limit_scale``), on top of the general one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from simulators import harvest_render as hr
from simulators.framework import (
    RateLimit,
    RateLimiter,
    Request,
    Response,
    Router,
    VendorApp,
    b64_json,
    json_response,
    unb64_json,
)
from simulators.oauth_grant import RefreshGrant, form_of
from simulators.world import World, WorldRegistry
from simulators.world_core import Candidates, list_merged
from simulators.world_streams import TIME_ENTRY_ID0, current_hours, updated_since_floor

MAX_PER_PAGE = 2000
CURSOR_RESOURCES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "users": hr.users, "clients": hr.clients, "projects": hr.projects, "tasks": hr.tasks, "roles": hr.roles,
    "task_assignments": hr.task_assignments, "user_assignments": hr.user_assignments,
}
PAGE_RESOURCES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "expenses": hr.expenses, "invoices": hr.invoices, "estimates": lambda w: []}
NEWEST_FIRST = {"users", "projects"}
FEATURE_OF = {"expenses": "expense_feature", "invoices": "invoice_feature", "estimates": "estimate_feature"}
# what a member-role token may not list (Harvest: "requires Administrator or Manager")
MEMBER_FORBIDDEN = {"users", "projects", "clients", "tasks", "roles", "task_assignments", "user_assignments",
                    "invoices", "estimates", "reports"}
REPORTS_LIMIT = RateLimit(limit=100, window=900.0)
REPORT_KINDS = ("clients", "projects", "tasks", "team")
OAUTH_ACCESS_TTL = 64799  # the v1 docs' example; the v2 lifetime is unconfirmed


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
        scale = max(rate_limit_scale, 0.0)
        self.reports_limiter = RateLimiter(RateLimit(REPORTS_LIMIT.limit, REPORTS_LIMIT.window * scale,
                                                     scale > 0))
        worlds = registry.worlds()
        self.oauth = RefreshGrant(worlds[0].seed if worlds else 0, "hv-oauth-", "hv-refresh-",
                                  OAUTH_ACCESS_TTL, kill_old=False)
        for w in worlds:
            self.oauth.add_client(w.harvest_client_id, w.harvest_client_secret, w.company,
                                  w.harvest_refresh_token)

    def register(self, router: Router) -> None:
        router.add("POST", "/api/v2/oauth2/token", self.oauth_token)
        router.add("GET", "/api/v2/accounts", self.accounts)
        router.add("GET", "/v2/company", self.company)
        router.add("GET", "/v2/reports/time/{kind}", self.time_report)
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
        if req.path == "/api/v2/oauth2/token":
            return None
        auth = req.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else req.param("access_token")
        account = req.headers.get("Harvest-Account-Id") or req.param("account_id")
        world = self.registry.find(lambda w: w.harvest_role(token) is not None)
        if world is None:
            return json_response({"error": "invalid_token", "error_description": "The access token provided is "
                                  "expired, revoked, malformed or invalid for other reasons."}, 401)
        req.principal = world.harvest_role(token)
        if req.path.startswith("/api/"):  # the id-host needs no account
            req.world = world
            return None
        if not account:
            return json_response({"error": "Account ID is required",
                                  "error_description": "Send the Harvest-Account-Id header"}, 401)
        req.world = self.registry.by_harvest_account(account)
        if req.world is not world:
            return json_response({"code": 403, "message": f"Account {account} is not accessible with this token"},
                                 403)
        parts = req.path.strip("/").split("/")
        if req.principal == "member" and len(parts) > 1 and parts[1] in MEMBER_FORBIDDEN \
                and parts[1:3] != ["users", "me"]:
            return json_response({"code": 403, "message": "You do not have permission to access this resource. "
                                  "It requires the Administrator or Manager role."}, 403)
        return None

    def rate_key(self, req: Request) -> str | None:
        return None if req.path.startswith("/api/") else super().rate_key(req)

    def env(self, w: World, base_url: str) -> dict[str, str]:
        return {"HARVEST_ID_URL": base_url, "HARVEST_CLIENT_ID": w.harvest_client_id,
                "HARVEST_CLIENT_SECRET": w.harvest_client_secret, "HARVEST_REFRESH_TOKEN": w.harvest_refresh_token,
                "HARVEST_MEMBER_TOKEN": w.harvest_member_token}

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
        if feature and not hr.company(req.world, self.company_patch.get(req.world.company, {}))[feature]:
            return json_response({"code": 403, "message": f"The {feature} is disabled"}, 403)
        return None

    # -- handlers -------------------------------------------------------------------------------
    def company(self, req: Request) -> Response:
        return json_response(hr.company(req.world, self.company_patch.get(req.world.company, {})))

    def me(self, req: Request) -> Response:
        return json_response(hr.fmt(self._me(req)))

    def _me(self, req: Request) -> dict[str, Any]:
        w = req.world
        if req.principal == "member":
            return next(u for u in hr.users(w) if u["id"] == w.harvest_member_user_id)
        return next(u for u in hr.users(w) if "administrator" in u["access_roles"])

    def _own_user(self, req: Request) -> int | None:
        """The only user whose records this token sees; None for administrators."""
        return req.world.harvest_member_user_id if req.principal == "member" else None

    # -- id-host --------------------------------------------------------------------------------
    def oauth_token(self, req: Request) -> Response:
        now = self.registry.default().now()
        status, body = self.oauth.grant(form_of(req.body, req.headers.get("Content-Type")), now)
        if status == 200:
            w = self.registry.get(self.oauth.access[body["access_token"]][0])
            w.harvest_tokens[body["access_token"]] = "administrator"
            w.harvest_token_expires[body["access_token"]] = now + timedelta(seconds=OAUTH_ACCESS_TTL)
        return json_response(body, status)

    def accounts(self, req: Request) -> Response:
        w, me = req.world, self._me(req)
        return json_response({
            "user": {"id": me["id"], "first_name": me["first_name"], "last_name": me["last_name"],
                     "email": me["email"]},
            "accounts": [{"id": int(w.harvest_account_id), "name": w.name, "product": "harvest",
                          "google_sign_in_required": False},
                         {"id": int(w.forecast_account_id), "name": w.name, "product": "forecast",
                          "google_sign_in_required": False}]}, records=2)

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
        day = "issue_date" if resource in ("invoices", "estimates") else "spent_date"
        own = self._own_user(req)
        rows = sorted((r for r in self._dims(req.world, resource)
                       if ok(r) and (own is None or r["user"]["id"] == own)),
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
        own = self._own_user(req)
        if own is not None:
            ids["user_id"] = own if ids["user_id"] in (None, own) else -1
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
        own = self._own_user(req)
        if rec is None or (own is not None and rec["user_id"] != own):
            return self.not_found(req, True)
        return json_response(hr.time_entry_json(w, self.index(w), rec), records=1)

    # -- reports --------------------------------------------------------------------------------
    def time_report(self, req: Request) -> Response:
        kind = req.path_params["kind"]
        if kind not in REPORT_KINDS:
            return self.not_found(req, True)
        retry_after = self.reports_limiter.check(req.world.company)
        if retry_after is not None:
            return self.too_many_requests(req, retry_after)
        try:
            frm, to = (_parse_date(req.param(k) or "") for k in ("from", "to"))
            per_page, page = self._per_page(req, MAX_PER_PAGE), _int(req.param("page")) or 1
        except BadRequest as exc:
            return json_response({"code": 422, "message": f"from and to are required dates; {exc}"}, 422)
        if to < frm:
            return json_response({"code": 422, "message": "to must be on or after from"}, 422)
        rows = self._report_rows(req.world, kind, frm, to)
        chunk = rows[(page - 1) * per_page: page * per_page]
        return self._paged(req, "results", chunk, per_page, len(rows), page)

    def _entries_between(self, w: World, frm: date, to: date) -> Iterator[dict[str, Any]]:
        ov = w.overlay("harvest", "time_entries")
        touched = {rid - TIME_ENTRY_ID0 for rid in ov.touched()}
        lo, hi = w.entry_dates.index_range(frm, to)
        for i in range(lo, hi):
            if i not in touched:
                yield w.time_entry(i)
        for rec in [ov.apply(w.time_entry(i)) for i in sorted(touched) if 0 <= i < w.scale.time_entries] + \
                list(ov.created.values()):
            if rec is not None and frm <= rec["spent_date"] <= to:
                yield rec

    def _report_rows(self, w: World, kind: str, frm: date, to: date) -> list[dict[str, Any]]:
        ix = self.index(w)
        totals: dict[int, list[float]] = {}
        key_of: Callable[[dict[str, Any]], int] = {
            "clients": lambda r: ix.client_ref(r["project_id"])["id"], "projects": lambda r: r["project_id"],
            "tasks": lambda r: r["task_id"], "team": lambda r: r["user_id"]}[kind]
        for rec in self._entries_between(w, frm, to):
            key = key_of(rec)
            hours = current_hours(w, rec)
            project = ix.projects.get(rec["project_id"])
            billable = hours if rec.get("billable", True) else 0.0
            t = totals.setdefault(key, [0.0, 0.0, 0.0])
            t[0] += hours
            t[1] += billable
            t[2] += billable * ((project["hourly_rate"] or 0.0) if project else 0.0)
        rows = []
        for key, (total, billable, amount) in totals.items():
            money = {"total_hours": round(total, 2), "billable_hours": round(billable, 2), "currency": "USD",
                     "billable_amount": round(amount, 2)}
            if kind == "clients":
                rows.append({"client_id": key, "client_name": next(
                    (c["name"] for c in w.clients if c["harvest_client_id"] == key), None), **money})
            elif kind == "projects":
                p = ix.projects.get(key)
                c = ix.client_ref(key)
                rows.append({"project_id": key, "project_name": p["name"] if p else None,
                             "client_id": c["id"], "client_name": c["name"], **money})
            elif kind == "tasks":
                rows.append({"task_id": key, "task_name": ix.tasks[key]["name"] if key in ix.tasks else None,
                             **money})
            else:
                u = ix.users.get(key)
                rows.append({"user_id": key, "user_name": f"{u['first_name']} {u['last_name']}" if u else None,
                             "is_contractor": bool(u and u["is_contractor"]), **money})
        name = next(k for k in rows[0] if k.endswith("_name")) if rows else ""
        return sorted(rows, key=lambda r: (r.get(name) or "", next(iter(r.values()))))

    def delete_time_entry(self, req: Request) -> Response:
        if self._own_user(req) is not None and self.time_entry(req).status != 200:
            return self.not_found(req, True)
        try:
            req.world.mutate("harvest", "time_entries", "delete", int(req.path_params["id"]))
        except (KeyError, ValueError):
            return self.not_found(req, True)
        return Response(200, b"", {}, 0)


def build(registry: WorldRegistry, rate_limit_scale: float = 1.0) -> HarvestApp:
    return HarvestApp(registry, rate_limit_scale)
