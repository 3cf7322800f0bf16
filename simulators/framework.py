"""Shared HTTP machinery for the four vendor simulators.

How a vendor module plugs in
----------------------------
Subclass :class:`VendorApp`, set ``system`` (``"harvest"``, ``"forecast"``, ``"qbo"``, ``"jira"``) and
override what differs from the defaults::

    class JiraApp(VendorApp):
        system = "jira"
        default_rate_limit = RateLimit(limit=100, window=10.0)

        def register(self, router: Router) -> None:
            router.add("GET", "/site/{site}/rest/api/3/myself", self.myself)

        def authenticate(self, req: Request) -> Response | None:
            req.world = self.registry.by_jira_site(req.path_params["site"])  # set req.world
            return None                                                      # or an error Response

        def too_many_requests(self, req: Request, retry_after: int) -> Response:  # vendor-shaped 429
            ...

    server = SimServer(JiraApp(registry, rate_limit_scale=0.1)).start()
    server.base_url  # "http://127.0.0.1:<port>"

Request pipeline (:meth:`SimServer.dispatch`): ``/_sim/*`` control plane (never limited or logged) ->
route match (404/405 from :meth:`VendorApp.not_found`) -> :meth:`VendorApp.authenticate` ->
injected fault (see :class:`Fault`) -> per-key rolling-window rate limit and optional concurrency limit
(key from :meth:`VendorApp.rate_key`, default the company key) -> handler -> logged.

Handlers take a :class:`Request` and return a :class:`Response`; build JSON with :func:`json_response`
and set ``Response.records`` to the number of records returned so the request log shows page sizes.

Control plane on every server (JSON in, JSON out; ``company`` in the query or body picks the world,
default the first): ``GET /_sim/requests``, ``POST /_sim/requests/clear``, ``POST /_sim/faults``
(a :class:`Fault` as JSON), ``POST /_sim/mutations`` (see :meth:`simulators.world.World.mutate`),
``GET /_sim/truth``, ``POST /_sim/rate_limit`` ``{"limit", "window", "enabled", "max_in_flight"}``,
``POST /_sim/clock`` ``{"advance": seconds}`` or ``{"freeze": iso|null}``.
The same operations are methods of :class:`SimServer` for in-process tests.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from simulators.framework_limits import Fault, FaultQueue, RateLimit, RateLimiter
from simulators.world import World, WorldRegistry

Handler = Callable[["Request"], "Response"]
__all__ = ["Fault", "FaultQueue", "RateLimit", "RateLimiter", "Request", "Response", "Router", "SimServer",
           "VendorApp", "json_response"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str
    path_params: dict[str, str] = field(default_factory=dict)
    world: World | None = None
    principal: str | None = None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def params(self) -> dict[str, str]:
        return {k: v[-1] for k, v in self.query.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    records: int | None = None


def dumps(obj: Any) -> bytes:
    try:
        # Several times faster than json.dumps (pages of 2,000 records are the simulators' main cost).
        return orjson.dumps(obj)
    except TypeError:  # integers beyond 64 bits, non-string keys, lone surrogates
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None,
                  records: int | None = None) -> Response:
    h = {"Content-Type": "application/json; charset=utf-8"}
    h.update(headers or {})
    return Response(status, dumps(obj), h, records)


def b64_json(obj: Any) -> str:
    return base64.urlsafe_b64encode(dumps(obj)).decode().rstrip("=")


def unb64_json(token: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


class Router:
    """Method + path-pattern routing; ``{name}`` matches one path segment into ``req.path_params``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/")
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """Return (handler, params, path_known); path_known without handler means 405."""
        known = False
        for m, regex, handler in self._routes:
            hit = regex.match(path)
            if hit:
                known = True
                if m == method:
                    return handler, hit.groupdict(), True
        return None, {}, known


class VendorApp:
    """Base class of a vendor simulator; see the module docstring."""

    system = "vendor"
    default_rate_limit = RateLimit()

    def __init__(self, registry: WorldRegistry, rate_limit_scale: float = 1.0) -> None:
        self.registry = registry
        base = self.default_rate_limit
        self.limiter = RateLimiter(RateLimit(base.limit, base.window * max(rate_limit_scale, 0.0),
                                             base.enabled and rate_limit_scale > 0, base.max_in_flight))
        self.custom_faults: dict[str, Handler] = {}
        self.router = Router()
        self.register(self.router)

    def register(self, router: Router) -> None:
        raise NotImplementedError

    def authenticate(self, req: Request) -> Response | None:
        req.world = self.registry.default()
        return None

    def rate_key(self, req: Request) -> str | None:
        return req.world.company if req.world else None

    def too_many_requests(self, req: Request, retry_after: int) -> Response:
        return json_response({"error": "too_many_requests"}, 429, {"Retry-After": str(retry_after)})

    def not_found(self, req: Request, method_allowed: bool) -> Response:
        return json_response({"error": "not_found"} if method_allowed else {"error": "method_not_allowed"},
                             404 if method_allowed else 405)

    def server_error(self, req: Request, status: int) -> Response:
        return json_response({"error": "server_error", "status": status}, status)

    def mutate(self, world: World, mutation: dict[str, Any]) -> dict[str, Any]:
        """``POST /_sim/mutations``; override when the vendor keeps its own mutation store."""
        return world.mutate(**mutation)

    def logged_headers(self, req: Request) -> dict[str, Any]:
        auth = req.headers.get("Authorization")
        return {"user_agent": req.headers.get("User-Agent"),
                "authorization": auth.split(" ", 1)[0] if auth else None}


@dataclass
class LoggedRequest:
    ts: str
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, Any]
    company: str | None
    status: int
    records: int | None


class SimServer:
    """One threaded HTTP server for one :class:`VendorApp`; ``start()`` returns self."""

    def __init__(self, app: VendorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.faults = FaultQueue()
        self.log: deque[LoggedRequest] = deque(maxlen=20000)
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name=f"sim-{self.app.system}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- Python control plane -------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in list(self.log)]

    def clear_requests(self) -> None:
        self.log.clear()

    def add_fault(self, fault: Fault | dict[str, Any]) -> None:
        self.faults.add(fault if isinstance(fault, Fault) else Fault(**fault))

    def set_rate_limit(self, limit: int | None = None, window: float | None = None,
                       enabled: bool | None = None, max_in_flight: int | None = None) -> None:
        cfg = self.app.limiter.config
        cfg.limit = cfg.limit if limit is None else limit
        cfg.window = cfg.window if window is None else window
        cfg.enabled = cfg.enabled if enabled is None else enabled
        cfg.max_in_flight = cfg.max_in_flight if max_in_flight is None else max_in_flight
        self.app.limiter.reset()

    def mutate(self, company: str | None = None, **mutation: Any) -> dict[str, Any]:
        return self.app.mutate(self.app.registry.get(company), mutation)

    def truth(self, company: str | None = None) -> dict[str, Any]:
        return self.app.registry.get(company).truth()

    # -- dispatch -------------------------------------------------------------------------------
    def dispatch(self, req: Request) -> tuple[Response, Fault | None]:
        if req.path.startswith("/_sim/"):
            return self._control(req), None
        handler, params, known = self.app.router.match(req.method, req.path)
        if handler is None:
            return self.app.not_found(req, not known), None
        req.path_params = params
        denied = self.app.authenticate(req)
        if denied is not None:
            return denied, None
        fault = self.faults.take(req.method, req.path)
        if fault is not None and fault.kind in ("429", "status", "custom"):
            return self._fault_response(req, fault), None
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        key = self.app.rate_key(req)
        if key is not None:
            retry_after = self.app.limiter.check(key)
            if retry_after is not None:
                return self.app.too_many_requests(req, retry_after), None
            if not self.app.limiter.enter(key):
                return self.app.too_many_requests(req, 1), None
        try:
            return handler(req), fault
        finally:
            if key is not None:
                self.app.limiter.leave(key)

    def _fault_response(self, req: Request, fault: Fault) -> Response:
        if fault.kind == "429":
            resp = self.app.too_many_requests(req, fault.retry_after)
        elif fault.kind == "custom":
            resp = self.app.custom_faults[fault.name or ""](req)
        elif fault.body is not None:
            resp = json_response(fault.body, fault.status)
        else:
            resp = self.app.server_error(req, fault.status)
        resp.headers.update(fault.headers)
        return resp

    def record(self, req: Request, resp: Response) -> None:
        self.log.append(LoggedRequest(
            ts=datetime.now(UTC).isoformat(timespec="milliseconds"), method=req.method, path=req.path,
            params=req.params, headers=self.app.logged_headers(req),
            company=req.world.company if req.world else None, status=resp.status, records=resp.records))

    def _control(self, req: Request) -> Response:
        body = req.json() if req.body else {}
        body = body if isinstance(body, dict) else {}
        company = req.param("company") or body.pop("company", None)
        op = (req.method, req.path.rstrip("/"))
        if op == ("GET", "/_sim/requests"):
            return json_response({"requests": self.requests()})
        if op == ("POST", "/_sim/requests/clear"):
            self.clear_requests()
            return json_response({"ok": True})
        if op == ("POST", "/_sim/faults"):
            self.add_fault(body)
            return json_response({"ok": True})
        if op == ("POST", "/_sim/faults/clear"):
            self.faults.clear()
            return json_response({"ok": True})
        if op == ("POST", "/_sim/mutations"):
            try:
                return json_response(self.mutate(company, **body))
            except (KeyError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
        if op == ("GET", "/_sim/truth"):
            return json_response(self.truth(company))
        if op == ("POST", "/_sim/rate_limit"):
            self.set_rate_limit(**body)
            return json_response(asdict(self.app.limiter.config))
        if op == ("POST", "/_sim/clock"):
            for world in self.app.registry.worlds():
                world.clock.control(**body)
            return json_response({"now": self.app.registry.default().clock.iso()})
        return json_response({"error": "unknown control operation"}, 404)


def _make_handler(server: SimServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK add 40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(method=self.command, path=split.path, query=parse_qs(split.query),
                          headers=self.headers, body=self.rfile.read(length) if length else b"",
                          base_url=server.base_url)
            try:
                resp, fault = server.dispatch(req)
            except Exception as exc:  # a simulator bug must still answer, like a vendor 500
                resp, fault = json_response({"error": "simulator_error", "detail": repr(exc)}, 500), None
            if not req.path.startswith("/_sim/"):
                server.record(req, resp)
            self._write(resp, fault)

        def _write(self, resp: Response, fault: Fault | None) -> None:
            body = resp.body
            if fault is not None and fault.kind == "malformed":
                body = body[: max(1, len(body) // 2)]
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            dropping = fault is not None and fault.kind == "drop"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not dropping:
                self.wfile.write(body)
                return
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return _Handler
