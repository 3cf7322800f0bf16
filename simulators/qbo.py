"""QuickBooks Online v3 simulator: ``/v3/company/{realm}/query|cdc|batch|<entity>/<id>`` and the OAuth
token endpoint ``/oauth2/v1/tokens/bearer`` on the same server.

Fidelity notes: every body has ``time`` and every response an ``intuit_tid`` header; 401/403 auth
faults use lower-case ``fault``/``error`` keys as Intuit's gateway does, validation faults the
upper-case form; throttling (500 requests/min per realm, more than 10 in flight) answers 429 with the
``ThrottleExceeded; errorCode=003001`` fault and no ``Retry-After`` (Intuit says: wait 60 s).
Injectable custom faults: ``fault_in_200``, ``throttle_xml``.

Control plane (``POST /_sim/mutations``, system ``qbo``): resource = entity (``Invoice``,
``TimeActivity``, ``Customer`` ...) with op create/update/delete/archive, ``id`` and QBO-shaped
``fields``; resource ``oauth`` with op ``configure`` (fields of :class:`OAuthConfig`),
``expire_access_tokens`` or ``issue_refresh_token``.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from simulators import qbo_extras
from simulators.framework import Request, Response, SimServer, VendorApp, json_response
from simulators.qbo_oauth import OAuthConfig, TokenAuthority
from simulators.qbo_query import QueryError, as_datetime, parse_query
from simulators.world import World, WorldRegistry
from simulators.world_core import stable_int
from simulators.world_qbo import CDC_EXCLUDED, QboCompany, build_qbo_company

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
CDC_MAX_OBJECTS = 1000
CDC_MAX_DAYS = 30
BATCH_MAX_ITEMS = 30
THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached.  Try again later"
AUTH_FAULTS = {
    "3200": "message=ApplicationAuthenticationFailed; errorCode=003200; statusCode=401",
    "3201": "message=ApplicationAuthorizationFailed; errorCode=003201; statusCode=403",
}


class QboApp(VendorApp):
    system = "qbo"
    default_rate_limit = qbo_extras.QBO_RATE_LIMIT

    def __init__(self, registry: WorldRegistry, rate_limit_scale: float = 1.0) -> None:
        super().__init__(registry, rate_limit_scale)
        first = registry.default()
        self.oauth = TokenAuthority(first.seed, clock=lambda: first.now().timestamp(), config=OAuthConfig())
        self.companies: dict[str, QboCompany] = {}
        self._lock = threading.RLock()
        self._tids = itertools.count(1)
        self._tid_seed = stable_int("intuit_tid", first.seed) % 10**12
        for world in registry.worlds():
            self.oauth.register_client(world.qbo_client_id, world.qbo_client_secret)
            self.oauth.add_refresh_token(world.qbo_refresh_token, world.qbo_client_id, world.qbo_realm_id)
            qbo_extras.attach(self, world)
        self.custom_faults.update({"fault_in_200": self._fault_in_200, "throttle_xml": self._throttle_xml})

    # --- plumbing ---------------------------------------------------------------------

    def company(self, world: World) -> QboCompany:
        with self._lock:
            if world.qbo_realm_id not in self.companies:
                self.companies[world.qbo_realm_id] = build_qbo_company(world)
            return self.companies[world.qbo_realm_id]

    def _time(self, req: Request | None) -> str:
        world = req.world if req and req.world else self.registry.default()
        tz = self.company(world).tz
        return world.now().astimezone(tz).isoformat(timespec="milliseconds")

    def _tid(self) -> str:
        n = next(self._tids)
        digest = hashlib.sha256(f"{self._tid_seed}:{n}".encode()).hexdigest()
        return f"1-{digest[:8]}-{digest[8:32]}"

    def reply(self, req: Request | None, obj: dict[str, Any], status: int = 200,
              records: int | None = None) -> Response:
        body = {**obj, "time": self._time(req)} if "time" not in obj and "error" not in obj else obj
        return json_response(body, status, {"intuit_tid": self._tid()}, records)

    def fault(self, req: Request | None, status: int, code: str, message: str, detail: str,
              fault_type: str = "ValidationFault", element: str = "") -> Response:
        error = {"Message": message, "Detail": detail, "code": code, "element": element}
        return self.reply(req, {"Fault": {"Error": [error], "type": fault_type}}, status)

    def auth_fault(self, req: Request, status: int, code: str) -> Response:
        error = {"message": AUTH_FAULTS[code], "detail": f"Authentication/authorization failed: {code}",
                 "code": code}
        return self.reply(req, {"fault": {"error": [error], "type": "AUTHENTICATION"}}, status)

    # --- framework hooks --------------------------------------------------------------

    def register(self, router: Any) -> None:
        router.add("POST", TOKEN_PATH, self.token)
        for method in ("GET", "POST"):
            router.add(method, "/v3/company/{realm}/query", self.query)
        router.add("GET", "/v3/company/{realm}/cdc", self.cdc)
        router.add("POST", "/v3/company/{realm}/batch", self.batch)
        router.add("GET", "/v3/company/{realm}/{entity}/{entity_id}", self.read)

    def authenticate(self, req: Request) -> Response | None:
        if req.path == TOKEN_PATH:
            req.world = self.registry.default()
            return None
        realm = req.path_params.get("realm")
        req.world = self.registry.by_qbo_realm(realm) or self.registry.default()
        denied = self.oauth.check_access(req.headers.get("Authorization"), realm or "")
        if denied is not None:
            return self.auth_fault(req, *denied)
        req.principal = realm
        return None

    def rate_key(self, req: Request) -> str | None:
        return None if req.path == TOKEN_PATH else f"realm:{req.path_params.get('realm')}"

    def too_many_requests(self, req: Request, retry_after: int) -> Response:
        return self.fault(req, 429, "3001", THROTTLE_MESSAGE, THROTTLE_DETAIL, "SERVICE")

    def not_found(self, req: Request, method_allowed: bool) -> Response:
        status = 404 if method_allowed else 405
        return self.fault(req, status, "610", "Object Not Found", f"No resource at {req.path}", "SystemFault")

    def server_error(self, req: Request, status: int) -> Response:
        return self.fault(req, status, "10000", "An application error has occurred while processing your request",
                          "System Failure Error: An unexpected error occurred", "SystemFault")

    def _fault_in_200(self, req: Request) -> Response:
        return self.fault(req, 200, "10000", "An application error has occurred while processing your request",
                          "System Failure Error: Could not process the request", "SystemFault")

    def _throttle_xml(self, req: Request) -> Response:
        xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{self._time(req)}">'
               f'<Fault type="SERVICE"><Error code="3001"><Message>{THROTTLE_MESSAGE}</Message>'
               f"<Detail>{THROTTLE_DETAIL}</Detail></Error></Fault></IntuitResponse>")
        return Response(429, xml.encode(), {"Content-Type": "application/xml", "intuit_tid": self._tid()})

    # --- handlers ---------------------------------------------------------------------

    def token(self, req: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode(errors="replace")).items()}
        with self._lock:
            result = self.oauth.grant(req.headers.get("Authorization"), form)
        return json_response(result.body, result.status, {"intuit_tid": self._tid()})

    def _world_for(self, req: Request) -> World | None:
        return self.registry.by_qbo_realm(req.path_params.get("realm"))

    def _unknown_realm(self, req: Request) -> Response:
        return self.auth_fault(req, 403, "3201")

    def run_query(self, req: Request, world: World, text: str) -> tuple[int, dict[str, Any]]:
        """(status, QueryResponse-or-Fault object) for one statement; shared with batch."""
        company = self.company(world)
        try:
            query = parse_query(text)
            table = company.tables.get(query.entity)
            if table is None:
                raise QueryError("Invalid query", f"QueryValidationError: Invalid entity name: {query.entity}",
                                 "4001")
            with self._lock:
                result = table.execute(query)
        except QueryError as exc:
            error = {"Message": exc.message, "Detail": exc.detail, "code": exc.code, "element": ""}
            return 400, {"Fault": {"Error": [error], "type": "ValidationFault"}}
        if query.count:
            return 200, {"QueryResponse": {"totalCount": result.total}}
        if not result.rows:
            return 200, {"QueryResponse": {}}
        return 200, {"QueryResponse": {query.entity: result.rows, "startPosition": query.start_position,
                                       "maxResults": len(result.rows)}}

    def query(self, req: Request) -> Response:
        world = self._world_for(req)
        if world is None:
            return self._unknown_realm(req)
        text = req.param("query") if req.method == "GET" else req.body.decode(errors="replace")
        status, obj = self.run_query(req, world, text or "")
        rows = next((v for v in obj.get("QueryResponse", {}).values() if isinstance(v, list)), [])
        return self.reply(req, obj, status, records=len(rows))

    def cdc(self, req: Request) -> Response:
        world = self._world_for(req)
        if world is None:
            return self._unknown_realm(req)
        company = self.company(world)
        entities = [e.strip() for e in (req.param("entities") or "").split(",") if e.strip()]
        since_text = req.param("changedSince") or ""
        since = as_datetime(since_text, company.tz)
        if not entities or since is None:
            return self.fault(req, 400, "2010", "Request has invalid or unsupported property",
                              "entities and changedSince are required", element="changedSince")
        if since < world.now() - timedelta(days=CDC_MAX_DAYS):
            return self.fault(req, 400, "2010", "Request has invalid or unsupported property",
                              f"changedSince cannot be more than {CDC_MAX_DAYS} days ago", element="changedSince")
        bad = [e for e in entities if e in CDC_EXCLUDED or e not in company.tables]
        if bad:
            return self.fault(req, 400, "2010", "Request has invalid or unsupported property",
                              f"CDC is not supported for entity: {bad[0]}", element="entities")
        responses, budget = [], CDC_MAX_OBJECTS
        with self._lock:
            for name in entities:
                changed = company.tables[name].changed_since(since)[:budget]
                budget -= len(changed)
                responses.append({name: changed, "startPosition": 1, "maxResults": len(changed)}
                                 if changed else {})
        total = CDC_MAX_OBJECTS - budget
        return self.reply(req, {"CDCResponse": [{"QueryResponse": responses}]}, records=total)

    def batch(self, req: Request) -> Response:
        world = self._world_for(req)
        if world is None:
            return self._unknown_realm(req)
        try:
            items = req.json()["BatchItemRequest"]
        except (ValueError, KeyError, TypeError):
            return self.fault(req, 400, "2010", "Request has invalid or unsupported property",
                              "Body must be {\"BatchItemRequest\":[...]}")
        if len(items) > BATCH_MAX_ITEMS:
            return self.fault(req, 400, "2010", "Request has invalid or unsupported property",
                              f"A batch can carry at most {BATCH_MAX_ITEMS} items")
        out, records = [], 0
        for item in items:
            if "Query" not in item:
                fault = {"Error": [{"Message": "Operation not supported", "Detail": "The simulator's batch "
                                    "endpoint runs queries only", "code": "2010"}], "type": "ValidationFault"}
                out.append({"bId": item.get("bId"), "Fault": fault})
                continue
            _, obj = self.run_query(req, world, item["Query"])
            records += sum(len(v) for v in obj.get("QueryResponse", {}).values() if isinstance(v, list))
            out.append({"bId": item.get("bId"), **obj})
        return self.reply(req, {"BatchItemResponse": out}, records=records)

    def read(self, req: Request) -> Response:
        world = self._world_for(req)
        if world is None:
            return self._unknown_realm(req)
        company = self.company(world)
        name = next((n for n in company.tables if n.lower() == req.path_params["entity"].lower()), None)
        row = company.tables[name].get(req.path_params["entity_id"]) if name else None
        if row is None:
            return self.fault(req, 400, "610", "Object Not Found",
                              "Object Not Found : Something you're trying to use has been made inactive. "
                              "Check the fields with accounts, customers, items, vendors or employees.")
        return self.reply(req, {name: row}, records=1)

    def now_stamp(self, world: World) -> str:
        return self.company(world).stamp(world.now().replace(microsecond=0))


def build_qbo_app(registry: WorldRegistry, rate_limit_scale: float = 1.0) -> QboApp:
    return QboApp(registry, rate_limit_scale)


def build_qbo_simulator(registry: WorldRegistry, rate_limit_scale: float = 1.0, host: str = "127.0.0.1",
                        port: int = 0) -> SimServer:
    """An unstarted server; ``.start()`` it and point ``QBO_BASE_URL`` and ``QBO_TOKEN_URL`` at it."""
    return SimServer(QboApp(registry, rate_limit_scale), host, port)

