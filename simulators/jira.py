"""Jira Cloud REST v3 simulator under ``/site/{site}/rest/api/3`` (``JIRA_BASE_URL`` carries the prefix).

Basic auth (``email:api_token``); ``/search/jql`` with bounded JQL read in ``/myself``'s time zone and
an opaque ``nextPageToken`` absent on the last page; the removed ``/search`` answers 410; worklog
feeds (``updated``/``deleted``) with a configurable lag (default 60 s); ``worklog/list``;
``issue/{key}/worklog``; ``users/search``; ``project/search``. 429s carry ``Retry-After``,
``X-RateLimit-*`` and ``RateLimit-Reason``; responses under 20% of the budget carry
``X-RateLimit-NearLimit: true``. Custom fault ``unavailable_503`` (503 with ``Retry-After``).

OAuth 2.0 (3LO) on the same server: ``POST /oauth/token`` (refresh_token grant, JSON or form body) rotates
the refresh token on every call and the old one dies at once (403 ``invalid_grant``); access tokens last
3600 s; ``GET /oauth/token/accessible-resources`` lists the site for a Bearer; every API route is also
served Bearer-only under ``/ex/jira/{cloudId}/rest/api/3`` with ``self`` links in that gateway form.

Control plane (``POST /_sim/mutations``, system ``jira``): resource ``worklogs`` with op ``create``
(fields ``issue``, ``accountId``, ``started``, ``seconds``, ``comment``), ``update`` / ``delete``
(``id`` or ``fields.ids`` for a bulk edit sharing one ``updatedTime``), ``bulk_create``
(``issue``, ``count``); resource ``config`` op ``configure`` (``lag_seconds``; ``time_tracking_off``, a
list of project keys whose ``issue/{key}/worklog`` answers 404).
"""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simulators import jira_extras
from simulators.framework import (
    RateLimit,
    Request,
    Response,
    Router,
    SimServer,
    VendorApp,
    b64_json,
    json_response,
    unb64_json,
)
from simulators.jira_jql import JqlError, parse_jql
from simulators.jira_worklogs import FEED_PAGE_SIZE
from simulators.oauth_grant import RefreshGrant, form_of
from simulators.world import World, WorldRegistry
from simulators.world_core import stable_int
from simulators.world_jira import MYSELF_TZ, JiraSite, build_jira_site, render_issue, render_worklog

API = "/site/{site}/rest/api/3"
GATEWAY = "/ex/jira/{cloudId}"
OAUTH_SCOPES = "read:jira-work read:jira-user offline_access"
REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
           "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
ID_ONLY_FIELDS = {"id", "key"}


def errors(*messages: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    return json_response({"errorMessages": list(messages), "errors": {}}, status, headers)


class JiraApp(VendorApp):
    system = "jira"
    default_rate_limit = RateLimit(limit=100, window=10.0, enabled=True)

    def __init__(self, registry: WorldRegistry, rate_limit_scale: float = 1.0) -> None:
        super().__init__(registry, rate_limit_scale)
        self.sites: dict[str, JiraSite] = {}
        self._lock = threading.RLock()
        for world in registry.worlds():
            jira_extras.attach(self, world)
        self.custom_faults["unavailable_503"] = lambda req: errors(
            "Service unavailable", status=503, headers={"Retry-After": "2"})
        worlds = registry.worlds()
        self.oauth = RefreshGrant(worlds[0].seed if worlds else 0, "eyJ", "rt-", 3600, kill_old=True,
                                  invalid_grant_status=403)
        for world in worlds:
            creds = self.oauth_credentials(world)
            self.oauth.add_client(creds["JIRA_OAUTH_CLIENT_ID"], creds["JIRA_OAUTH_CLIENT_SECRET"], world.company,
                                  creds["JIRA_OAUTH_REFRESH_TOKEN"])

    @staticmethod
    def cloud_id(world: World) -> str:
        return str(uuid.UUID(int=stable_int("jira-cloud", world.company, world.seed) << 64
                             | stable_int("jira-cloud-low", world.company, world.seed)))

    def oauth_credentials(self, world: World) -> dict[str, str]:
        secret = f"{stable_int('jira-oauth', world.company, world.seed):016x}"
        return {"JIRA_CLOUD_ID": self.cloud_id(world), "JIRA_OAUTH_CLIENT_ID": f"jira-app-{world.company}",
                "JIRA_OAUTH_CLIENT_SECRET": f"jira-app-secret-{secret}",
                "JIRA_OAUTH_REFRESH_TOKEN": f"rt-{world.company}-{secret}"}

    def env(self, world: World, base_url: str) -> dict[str, str]:
        return {**self.oauth_credentials(world), "JIRA_OAUTH_TOKEN_URL": f"{base_url}/oauth/token",
                "JIRA_OAUTH_RESOURCES_URL": f"{base_url}/oauth/token/accessible-resources",
                "JIRA_OAUTH_API_URL": f"{base_url}/ex/jira/{self.cloud_id(world)}"}

    def site(self, world: World) -> JiraSite:
        with self._lock:
            if world.jira_site not in self.sites:
                self.sites[world.jira_site] = build_jira_site(world)
            return self.sites[world.jira_site]

    def register(self, router: Router) -> None:
        router.add("POST", "/oauth/token", self.oauth_token)
        router.add("GET", "/oauth/token/accessible-resources", self.accessible_resources)
        for prefix in ("/site/{site}", GATEWAY):
            api = f"{prefix}/rest/api/3"
            for version in ("2", "3"):
                for method in ("GET", "POST"):
                    router.add(method, f"{prefix}/rest/api/{version}/search", self.removed)
            for method in ("GET", "POST"):
                router.add(method, f"{api}/search/jql", self.search)
            router.add("GET", f"{api}/myself", self.myself)
            router.add("GET", f"{api}/worklog/updated", self.worklog_updated)
            router.add("GET", f"{api}/worklog/deleted", self.worklog_deleted)
            router.add("POST", f"{api}/worklog/list", self.worklog_list)
            router.add("GET", f"{api}/issue/{{key}}/worklog", self.issue_worklogs)
            router.add("GET", f"{api}/users/search", self.users_search)
            router.add("GET", f"{api}/project/search", self.project_search)

    # --- framework hooks --------------------------------------------------------------

    def authenticate(self, req: Request) -> Response | None:
        if req.path == "/oauth/token":
            return None
        if req.path.startswith("/oauth/") or "cloudId" in req.path_params:
            return self._bearer(req)
        world = self.registry.by_jira_site(req.path_params.get("site"))
        if world is None:
            return errors("Site not found", status=404)
        req.world = world
        header = req.headers.get("Authorization") or ""
        try:
            email, _, token = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            email, token = "", ""
        valid = email.strip().lower() == world.jira_email and token == world.jira_api_token
        if not header.startswith("Basic ") or not valid:
            return errors("You are not authenticated. Authentication required to perform this operation.",
                          status=401, headers={"WWW-Authenticate": 'Basic realm="protected-by-api-token"'})
        req.principal = email
        return None

    def _bearer(self, req: Request) -> Response | None:
        header = req.headers.get("Authorization") or ""
        company = self.oauth.subject_of(header[7:], self.registry.default().now()) \
            if header.startswith("Bearer ") else None
        world = self.registry.get(company) if company else None
        cloud = req.path_params.get("cloudId")
        if world is None or (cloud is not None and cloud != self.cloud_id(world)):
            return json_response({"code": 401, "message": "Unauthorized; scope does not match"}, 401)
        req.world, req.principal = world, f"oauth:{world.company}"
        return None

    def oauth_token(self, req: Request) -> Response:
        status, body = self.oauth.grant(form_of(req.body, req.headers.get("Content-Type")),
                                        self.registry.default().now())
        if status == 200:
            body = {**body, "token_type": "Bearer", "scope": OAUTH_SCOPES}
        return json_response(body, status)

    def accessible_resources(self, req: Request) -> Response:
        w = req.world
        assert w is not None
        return json_response([{"id": self.cloud_id(w), "name": w.jira_site, "url": f"https://{w.jira_site}.atlassian.net",
                               "scopes": OAUTH_SCOPES.split(), "avatarUrl": "https://site-admin-avatar-cdn.prod."
                               "public.atl-paas.net/avatars/240/rocket.png"}], records=1)

    def _limit_headers(self, remaining: int) -> dict[str, str]:
        cfg = self.limiter.config
        reset = (datetime.now(UTC) + timedelta(seconds=cfg.window)).strftime("%Y-%m-%dT%H:%MZ")
        headers = {"X-RateLimit-Limit": str(cfg.limit), "X-RateLimit-Remaining": str(max(0, remaining)),
                   "X-RateLimit-Reset": reset}
        if cfg.enabled and remaining < cfg.limit * 0.2:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers

    def too_many_requests(self, req: Request, retry_after: int) -> Response:
        headers = {"Retry-After": str(retry_after), "RateLimit-Reason": "jira-burst-based",
                   **self._limit_headers(0)}
        return errors("Rate limit exceeded.", status=429, headers=headers)

    def not_found(self, req: Request, method_allowed: bool) -> Response:
        return errors("Not found" if method_allowed else "Method not allowed", status=404 if method_allowed else 405)

    def reply(self, req: Request, obj: Any, records: int | None = None) -> Response:
        key = self.rate_key(req)
        used = len(self.limiter._hits.get(key, ())) if key else 0
        return json_response(obj, 200, self._limit_headers(self.limiter.config.limit - used), records)

    # --- handlers ---------------------------------------------------------------------

    def removed(self, req: Request) -> Response:
        return errors(REMOVED, status=410)

    def base(self, req: Request) -> str:
        cloud = req.path_params.get("cloudId")
        return f"{req.base_url}/ex/jira/{cloud}" if cloud else f"{req.base_url}/site/{req.path_params['site']}"

    def record_base(self, req: Request) -> str:
        """Where records' own `self` links point: the site's public URL, as real Jira renders them,
        so a record's body does not change with the simulator's port."""
        cloud = req.path_params.get("cloudId")
        if cloud:
            return f"https://api.atlassian.com/ex/jira/{cloud}"
        return f"https://{req.path_params['site']}.atlassian.net"

    def myself(self, req: Request) -> Response:
        world = req.world
        assert world is not None
        return self.reply(req, {
            "self": f"{self.record_base(req)}/rest/api/3/user?accountId=557058:sync-user",
            "accountId": "557058:sync-user", "accountType": "atlassian", "emailAddress": world.jira_email,
            "displayName": "Sync Robot", "active": True, "timeZone": MYSELF_TZ, "locale": "en_US"})

    def search(self, req: Request) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        params: dict[str, Any] = dict(req.params)
        if req.method == "POST":
            params.update(req.json() or {})
        raw_fields = params.get("fields") or "id"
        wanted = {f.strip() for f in (raw_fields if isinstance(raw_fields, list) else raw_fields.split(","))}
        now = site.world.now()
        try:
            jql = parse_jql(str(params.get("jql") or ""), ZoneInfo(MYSELF_TZ), now)
        except JqlError as exc:
            return errors(str(exc))
        cap = 5000 if wanted <= ID_ONLY_FIELDS else 100
        # Heavy field sets come back in shorter pages than asked for, as on Jira Cloud.
        cap = 50 if "worklog" in wanted or "*all" in wanted else cap
        limit = max(1, min(int(params.get("maxResults") or 50), cap))
        token = params.get("nextPageToken")
        offset = 0
        if token:
            try:
                offset = int(unb64_json(str(token))["o"])
            except (ValueError, KeyError, TypeError):
                return errors("The provided next page token is invalid or expired.")
        with self._lock:
            matched = [i for i in site.issues if jql.matches(
                site.world.projects[i["project_index"]]["jira_key"], i["key"], jira_extras.issue_times(site, i))]
            for name, desc in reversed(jql.order or [("id", False)]):
                matched.sort(key=jira_extras.issue_sort_key(site, name), reverse=desc)
            page = matched[offset:offset + limit]
            issues = [render_issue(site, i, wanted, self.record_base(req)) for i in page]
        body: dict[str, Any] = {"issues": issues}
        is_last = offset + limit >= len(matched)
        if not is_last:
            body["nextPageToken"] = b64_json({"o": offset + limit, "q": str(params.get("jql"))[:40]})
        body["isLast"] = is_last
        return self.reply(req, body, records=len(issues))

    def _feed(self, req: Request, deleted: bool) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        try:
            since = int(req.param("since") or 0)
        except ValueError:
            return errors("since must be a number of milliseconds")
        now_ms = int(site.world.now().timestamp() * 1000)
        with self._lock:
            feed = site.store.deleted_feed if deleted else site.store.updated_feed
            page = feed(since, now_ms, site.lag_ms, FEED_PAGE_SIZE)
        kind = "deleted" if deleted else "updated"
        url = f"{self.base(req)}/rest/api/3/worklog/{kind}"
        body: dict[str, Any] = {
            "values": [{"worklogId": wid, "updatedTime": t, "properties": []} for wid, t in page.values],
            "since": page.since, "until": page.until, "self": f"{url}?since={since}", "lastPage": page.last}
        if not page.last:
            body["nextPage"] = f"{url}?since={page.until}"
        return self.reply(req, body, records=len(page.values))

    def worklog_updated(self, req: Request) -> Response:
        return self._feed(req, deleted=False)

    def worklog_deleted(self, req: Request) -> Response:
        return self._feed(req, deleted=True)

    def worklog_list(self, req: Request) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        try:
            ids = [int(x) for x in (req.json() or {}).get("ids", [])]
        except (ValueError, TypeError, AttributeError):
            return errors("ids must be a list of worklog ids")
        if not ids or len(ids) > 1000:
            return errors("The number of worklog IDs must be between 1 and 1000.")
        with self._lock:
            found = [site.store.get(i) for i in ids]
            rows = [render_worklog(site, r, self.record_base(req)) for r in found if r is not None]
        return self.reply(req, rows, records=len(rows))

    def issue_worklogs(self, req: Request) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        key = req.path_params["key"]
        issue = site.issue_by_key.get(key.upper()) or (site.issue_by_id.get(int(key)) if key.isdigit() else None)
        if issue is None:
            return errors("Issue does not exist or you do not have permission to see it.", status=404)
        if site.world.projects[issue["project_index"]]["jira_key"] in site.config.get("time_tracking_off", ()):
            return errors("Time tracking is disabled for this issue's project.", status=404)
        start_at = int(req.param("startAt") or 0)
        limit = max(1, min(int(req.param("maxResults") or 5000), 5000))
        after, before = req.param("startedAfter"), req.param("startedBefore")
        with self._lock:
            logs = site.store.for_issue(issue["id"])
            if after:
                logs = [r for r in logs if r["started"].timestamp() * 1000 >= int(after)]
            if before:
                logs = [r for r in logs if r["started"].timestamp() * 1000 < int(before)]
            page = [render_worklog(site, r, self.record_base(req)) for r in logs[start_at:start_at + limit]]
        return self.reply(req, {"startAt": start_at, "maxResults": limit, "total": len(logs),
                                "worklogs": page}, records=len(page))

    def users_search(self, req: Request) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        start_at = int(req.param("startAt") or 0)
        limit = max(1, min(int(req.param("maxResults") or 50), 1000))
        page = site.users[start_at:start_at + limit]
        return self.reply(req, page, records=len(page))

    def project_search(self, req: Request) -> Response:
        site = self.site(req.world)  # type: ignore[arg-type]
        w = site.world
        start_at = int(req.param("startAt") or 0)
        limit = max(1, min(int(req.param("maxResults") or 50), 100))
        projects = [{"id": w.projects[p]["jira_project_id"], "key": w.projects[p]["jira_key"],
                     "name": w.projects[p]["name"], "projectTypeKey": "software", "simplified": False,
                     "archived": w.projects[p]["archived"],
                     "self": f"{self.record_base(req)}/rest/api/3/project/{w.projects[p]['jira_project_id']}"}
                    for p in w.jira_projects]
        page = projects[start_at:start_at + limit]
        is_last = start_at + limit >= len(projects)
        url = f"{self.base(req)}/rest/api/3/project/search"
        body: dict[str, Any] = {"self": f"{url}?startAt={start_at}&maxResults={limit}", "maxResults": limit,
                                "startAt": start_at, "total": len(projects), "isLast": is_last, "values": page}
        if not is_last:
            body["nextPage"] = f"{url}?startAt={start_at + limit}&maxResults={limit}"
        return self.reply(req, body, records=len(page))


def build_jira_app(registry: WorldRegistry, rate_limit_scale: float = 1.0) -> JiraApp:
    return JiraApp(registry, rate_limit_scale)


def build_jira_simulator(registry: WorldRegistry, rate_limit_scale: float = 1.0, host: str = "127.0.0.1",
                         port: int = 0) -> SimServer:
    """An unstarted server; ``JIRA_BASE_URL`` is ``{base_url}/site/{world.jira_site}``."""
    return SimServer(JiraApp(registry, rate_limit_scale), host, port)
