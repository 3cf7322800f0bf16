"""Harvest API v2 client: personal access token, paced under 100 requests / 15 s per account.

Lists follow `links.next` (cursor or page style alike) with the largest page Harvest allows.
Plain Python: knows nothing of Dagster or MySQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from resources.config import HarvestConnection
from resources.http import NonRetryableError, RateLimit, VendorHttp, VendorHttpClient, read_ahead

HARVEST_RATE_LIMIT = RateLimit(requests=100, per_seconds=15.0)
MAX_PER_PAGE = 2000
Page = list[dict[str, Any]]


@dataclass(frozen=True)
class HarvestResource:
    """One list endpoint: `/v2/<name>`, its records under the key `<name>`, and the filters it takes."""

    name: str
    updated_since: bool = True
    # `from`/`to` (inclusive) on spent_date, or issue_date for invoices.
    date_window: bool = False
    # A running timer's hours grow without `updated_at` moving, so incremental runs re-read them.
    refetch_running: bool = False


RESOURCES: dict[str, HarvestResource] = {r.name: r for r in (
    HarvestResource("users"),
    HarvestResource("clients"),
    HarvestResource("projects"),
    HarvestResource("tasks"),
    HarvestResource("task_assignments"),
    HarvestResource("user_assignments"),
    HarvestResource("roles", updated_since=False),
    HarvestResource("time_entries", date_window=True, refetch_running=True),
    HarvestResource("invoices", date_window=True),
    HarvestResource("expenses", date_window=True),
)}


def harvest_timestamp(value: datetime) -> str:
    """ISO 8601 UTC with a Z, as `updated_since` expects (naive values are UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class HarvestClient(VendorHttpClient):
    """Paged, paced reads of one Harvest account."""

    vendor = "harvest"

    def __init__(self, connection: HarvestConnection, *, rate_limit: RateLimit = HARVEST_RATE_LIMIT,
                 on_event: Callable[[str], None] | None = None, timeout: float = 60.0) -> None:
        base = connection.base_url.rstrip("/").removesuffix("/v2")
        self._origin = urlsplit(base)
        self.http = VendorHttp(
            vendor=self.vendor, account=connection.account_id, base_url=base, rate_limit=rate_limit,
            headers={"Authorization": f"Bearer {connection.access_token}",
                     "Harvest-Account-Id": connection.account_id,
                     "User-Agent": connection.user_agent, "Accept": "application/json"},
            on_event=on_event, timeout=timeout,
        )

    def company(self) -> dict[str, Any]:
        """`GET /v2/company`: the cheapest authenticated call (account name and feature flags)."""
        return self.http.get_json("v2/company")

    def pages(self, resource: str, *, updated_since: datetime | None = None,
              window: tuple[date, date] | None = None) -> Iterator[Page]:
        """Every page of a list endpoint, optionally changed since a time and/or within a date window.

        The next page is fetched while the caller handles the current one.
        """
        return read_ahead(self._pages(RESOURCES[resource], updated_since, window))

    def _pages(self, spec: HarvestResource, updated_since: datetime | None,
               window: tuple[date, date] | None) -> Iterator[Page]:
        params: dict[str, Any] = {"per_page": MAX_PER_PAGE}
        if updated_since is not None and spec.updated_since:
            params["updated_since"] = harvest_timestamp(updated_since)
        if window is not None and spec.date_window:
            params["from"], params["to"] = window[0].isoformat(), window[1].isoformat()
        yield from self._follow(spec.name, params)
        if spec.refetch_running and updated_since is not None:
            yield from self._follow(spec.name, {"per_page": MAX_PER_PAGE, "is_running": "true"})

    def _follow(self, resource: str, params: dict[str, Any]) -> Iterator[Page]:
        url: str | None = f"v2/{resource}"
        query: dict[str, Any] | None = params
        seen: set[str] = set()
        while url:
            body = self.http.get_json(url, params=query)
            records = body.get(resource) if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise NonRetryableError(self.vendor, self.http.account, "GET", f"/v2/{resource}",
                                        f"response has no '{resource}' list")
            yield records
            url, query = self._next_url((body.get("links") or {}).get("next")), None
            if url in seen:
                raise NonRetryableError(self.vendor, self.http.account, "GET", f"/v2/{resource}",
                                        "links.next repeats a page already read")
            if url:
                seen.add(url)

    def _next_url(self, link: str | None) -> str | None:
        """Harvest's own next link, kept on the configured host so the token goes nowhere else."""
        if not link:
            return None
        parts = urlsplit(link)
        return urlunsplit((self._origin.scheme, self._origin.netloc, parts.path, parts.query, ""))
