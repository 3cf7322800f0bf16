"""QuickBooks Online v3 client: OAuth through a token provider, query paging, CDC tombstones.

Knows QBO's HTTP and nothing of MySQL or Dagster: access tokens come from a `TokenProvider`
(in production the MySQL-backed `resources.token_store.DbTokenStore`).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from resources.config import QboConnection
from resources.http import NonRetryableError, RateLimit, Throttle, VendorError, VendorHttp
from resources.mysql import Database
from resources.token_store import DbTokenStore, ReauthorizationRequired, TokenGrant, TokenProvider

PAGE_SIZE = 1000
MINOR_VERSION = "75"
# Intuit: on a throttle, wait 60 s (there is no Retry-After).
THROTTLE_WAIT_SECONDS = 60.0
CDC_MAX_OBJECTS = 1000
CDC_MAX_AGE = timedelta(days=30)
# Only the head of a body is searched for a fault, so big pages are parsed once.
_FAULT_HINT = re.compile(rb'"[Ff]ault"|ThrottleExceeded')


def qbo_rate_limit(throttle_wait: float = THROTTLE_WAIT_SECONDS) -> RateLimit:
    """500 requests per minute and at most 10 in flight, per realm."""
    return RateLimit(requests=500, per_seconds=60.0, max_in_flight=10, default_retry_after=throttle_wait)


def fault_errors(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error") or fault.get("error") or []
    return errors if isinstance(errors, list) else [errors]


def describe_fault(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors:
        code = e.get("code", "?")
        message = e.get("Message") or e.get("message") or ""
        detail = e.get("Detail") or e.get("detail") or ""
        parts.append(f"Fault {code}: {message} {detail}".strip())
    return "; ".join(parts) or "Fault without errors"


def _is_throttle(text: str) -> bool:
    return "ThrottleExceeded" in text or "003001" in text


class QboFault(NonRetryableError):
    """QBO answered with a Fault (possibly inside an HTTP 200)."""


class QboClient:
    """One realm's API; `stats` counts every request for run metadata."""

    def __init__(self, connection: QboConnection, tokens: TokenProvider, *,
                 throttle_wait: float = THROTTLE_WAIT_SECONDS, page_size: int = PAGE_SIZE,
                 prefetch_pages: int = 3, on_event: Callable[[str], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.realm = connection.realm_id
        self.page_size, self.prefetch_pages = page_size, prefetch_pages
        self.tokens = tokens
        self._auth = _ProviderAuth(tokens)
        self.http = VendorHttp(
            vendor="qbo", account=self.realm,
            base_url=f"{connection.base_url.rstrip('/')}/v3/company/{self.realm}",
            rate_limit=qbo_rate_limit(throttle_wait), headers={"Accept": "application/json"},
            auth=self._auth, response_hook=self._inspect, on_unauthorized=self._reauthenticate,
            on_event=on_event, transport=transport, timeout=120.0,
        )
        self.stats = self.http.stats
        self._pool = ThreadPoolExecutor(max_workers=max(1, prefetch_pages), thread_name_prefix=f"qbo-{self.realm}")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.http.close()

    def __enter__(self) -> QboClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- response handling ------------------------------------------------------------------

    def _reauthenticate(self) -> bool:
        self.tokens.refresh_after_rejection(self._auth.last or "")
        return True

    def _inspect(self, response: httpx.Response) -> Throttle | None:
        head = response.content[:400]
        if not _FAULT_HINT.search(head) and not head.lstrip().startswith(b"<"):
            return None
        wait = self.http.rate_limit.default_retry_after
        text = response.text
        if text.lstrip().startswith("<"):  # Intuit sometimes answers a throttle in XML despite Accept
            return Throttle(wait) if _is_throttle(text) else None
        try:
            errors = fault_errors(json.loads(text))
        except ValueError:
            return None
        if errors is None:
            return None
        if any(_is_throttle(json.dumps(e)) or str(e.get("code")) == "3001" for e in errors):
            return Throttle(wait)
        if response.status_code == 200:
            tid = response.headers.get("intuit_tid", "?")
            raise QboFault("qbo", self.realm, response.request.method, self.http._endpoint(str(response.request.url)),
                           f"{describe_fault(errors)} (HTTP 200, intuit_tid {tid})", 200)
        return None

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        body = self.http.get_json(path, params={**params, "minorversion": MINOR_VERSION})
        errors = fault_errors(body) if isinstance(body, dict) else None
        if errors is not None or not isinstance(body, dict):
            raise QboFault("qbo", self.realm, "GET", f"/{path}", describe_fault(errors or []))
        return body

    # --- queries ----------------------------------------------------------------------------

    def query(self, statement: str) -> dict[str, Any]:
        return self._get("query", {"query": statement}).get("QueryResponse", {})

    def count(self, entity: str, where: list[str]) -> int:
        statement = f"SELECT count(*) FROM {entity}" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self.query(statement).get("totalCount", 0))

    def pages(self, entity: str, where: list[str], order: str = "Metadata.LastUpdatedTime"
              ) -> Generator[list[dict[str, Any]], None, int]:
        """Every row matching `where`, page by page (oldest change first); returns distinct ids seen.

        Paging stops at the first empty `QueryResponse`. A row seen again with the same
        SyncToken is dropped (QBO can repeat rows across pages); a newer version passes.
        """
        base = f"SELECT * FROM {entity}" + (" WHERE " + " AND ".join(where) if where else "")
        base += f" ORDERBY {order}"
        seen: dict[str, str] = {}
        for rows in self._paged(entity, base):
            fresh = []
            for row in rows:
                key, version = str(row.get("Id")), str(row.get("SyncToken"))
                if seen.get(key) == version:
                    continue
                seen[key] = version
                fresh.append(row)
            if fresh:
                yield fresh
        return len(seen)

    def complete_listing(self, entity: str, where: list[str]) -> Iterator[list[dict[str, Any]]]:
        """Pages of a listing a delete sweep may trust: the ids seen are checked against count(*).

        Rows updated while we page move to the end of the ordering and can push another row past
        a page boundary; one more pass picks it up. Still short after that: fail, never sweep.
        """
        seen_total = 0
        for attempt in range(2):
            seen_total = yield from self.pages(entity, where)
            expected = self.count(entity, where)
            if seen_total >= expected:
                return
            self.http._event(f"qbo: {entity} listing saw {seen_total} of {expected} rows, listing again")
            if attempt == 1:
                break
        raise VendorError("qbo", self.realm, "GET", "/query",
                          f"{entity} listing stayed incomplete ({seen_total} of {expected}); not sweeping deletes")

    def _paged(self, entity: str, base: str) -> Iterator[list[dict[str, Any]]]:
        """Pages in order; after a full page, up to `prefetch_pages` requests run ahead."""
        pending: deque[Future[dict[str, Any]]] = deque()
        next_position = 1

        def submit() -> None:
            nonlocal next_position
            statement = f"{base} STARTPOSITION {next_position} MAXRESULTS {self.page_size}"
            pending.append(self._pool.submit(self.query, statement))
            next_position += self.page_size

        submit()
        try:
            while pending:
                response = pending.popleft().result()
                rows = response.get(entity) or []
                if not rows:
                    return
                yield rows
                depth = self.prefetch_pages if len(rows) >= self.page_size else 1
                while len(pending) < depth:
                    submit()
        finally:
            for future in pending:
                future.cancel()

    # --- change data capture ----------------------------------------------------------------

    def cdc_tombstones(self, entity: str, since: datetime) -> Iterator[list[str]]:
        """Ids of `entity` deleted at or after `since` (naive UTC), in CDC windows under its caps."""
        floor = datetime.now(UTC).replace(tzinfo=None) - CDC_MAX_AGE + timedelta(hours=1)
        if since < floor:
            self.http._event(f"qbo: {entity} CDC can look back 30 days only; deletes before {floor:%Y-%m-%d} "
                             "are caught by the next full or window re-list")
            since = floor
        while True:
            stamp = since.replace(microsecond=0).isoformat() + "+00:00"
            body = self._get("cdc", {"entities": entity, "changedSince": stamp})
            objects: list[dict[str, Any]] = []
            for response in body.get("CDCResponse") or []:
                for part in response.get("QueryResponse") or []:
                    objects.extend(part.get(entity) or [])
            deleted = [str(o["Id"]) for o in objects if o.get("status") == "Deleted"]
            if deleted:
                yield deleted
            if len(objects) < CDC_MAX_OBJECTS:
                return
            # The 1000-object cap cut the answer: continue from the newest change returned.
            newest = max(_meta_time(o) for o in objects)
            if newest <= since:
                raise VendorError("qbo", self.realm, "GET", "/cdc",
                                  f"more than {CDC_MAX_OBJECTS} {entity} changes share {stamp}; cannot page CDC")
            since = newest


def _meta_time(obj: dict[str, Any]) -> datetime:
    meta = obj.get("MetaData") or obj.get("Metadata") or {}
    text = str(meta.get("LastUpdatedTime", "1970-01-01T00:00:00+00:00"))
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def qbo_timestamp(moment: datetime) -> str:
    """A naive-UTC moment as a QBO query literal."""
    return moment.replace(microsecond=0).isoformat() + "+00:00"


class _ProviderAuth(httpx.Auth):
    """Bearer auth that asks the token provider on every request (tokens rotate under us)."""

    def __init__(self, tokens: TokenProvider) -> None:
        self.tokens = tokens
        self.last: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.access_token()
        self.last = token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


# --- the token endpoint ---------------------------------------------------------------------------

def reauthorize_error(realm: str, token_url: str) -> Callable[[str], ReauthorizationRequired]:
    def make(reason: str) -> ReauthorizationRequired:
        return ReauthorizationRequired(
            "qbo", realm, "POST", token_url,
            f"{reason}: re-authorize QuickBooks for realm {realm} (connect the app again and set "
            "QBO_REFRESH_TOKEN to the new refresh token); not retried", 400)
    return make


def token_refresher(connection: QboConnection, transport: httpx.BaseTransport | None = None
                    ) -> Callable[[str], TokenGrant]:
    """(refresh token) -> TokenGrant against `QBO_TOKEN_URL`; invalid_grant is never retried."""
    reauth = reauthorize_error(connection.realm_id, connection.token_url)

    def hook(response: httpx.Response) -> Throttle | None:
        if response.status_code in (400, 401) and b"invalid_grant" in response.content:
            raise reauth("the token endpoint answered invalid_grant")
        return None

    def refresh(refresh_token: str) -> TokenGrant:
        with VendorHttp(vendor="qbo-oauth", account=connection.realm_id, base_url=connection.token_url,
                        rate_limit=RateLimit(30, 60.0), auth=httpx.BasicAuth(connection.client_id,
                                                                              connection.client_secret),
                        headers={"Accept": "application/json"}, response_hook=hook, max_retries=3,
                        transport=transport) as http:
            body = http.json_request("POST", connection.token_url,
                                     data={"grant_type": "refresh_token", "refresh_token": refresh_token})
        if not isinstance(body, dict) or "access_token" not in body:
            raise NonRetryableError("qbo-oauth", connection.realm_id, "POST", connection.token_url,
                                    "token response without access_token")
        return TokenGrant(access_token=str(body["access_token"]),
                          refresh_token=str(body.get("refresh_token") or refresh_token),
                          expires_in=float(body.get("expires_in", 3600)),
                          refresh_expires_in=float(body["x_refresh_token_expires_in"])
                          if body.get("x_refresh_token_expires_in") else None)

    return refresh


def stored_tokens(db: Database, connection: QboConnection) -> DbTokenStore:
    """The realm's tokens in MySQL, seeded from `QBO_REFRESH_TOKEN`, refreshed at `QBO_TOKEN_URL`."""
    return DbTokenStore(db, "qbo", connection.realm_id, connection.refresh_token, token_refresher(connection),
                        reauthorize_error(connection.realm_id, connection.token_url))
