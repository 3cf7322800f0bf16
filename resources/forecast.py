"""Harvest Forecast client (the Harvest token plus `Forecast-Account-ID`).

Forecast has no pagination and no `updated_since`. `/assignments` demands a date window of at
most 180 days and returns every assignment *overlapping* it, so a horizon is walked in windows
and the overlap between neighbours is de-duplicated by id. Knows nothing of Dagster or MySQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from resources.config import ForecastConnection
from resources.http import NonRetryableError, RateLimit, VendorHttp, VendorHttpClient

# Undocumented; Harvest's own limit is the assumption every other syncer makes too.
FORECAST_RATE_LIMIT = RateLimit(requests=100, per_seconds=15.0)
# Forecast answers 422 to a longer window (since 2021); end - start of 179 days spans 180 days.
MAX_WINDOW_DAYS = 180
RESOURCES = ("people", "projects", "clients", "placeholders", "roles", "milestones", "assignments")
Page = list[dict[str, Any]]


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def horizon(today: date, months_back: int = 12, months_ahead: int = 6) -> tuple[date, date]:
    """The inclusive date range whose assignments a complete listing covers."""
    return add_months(today, -months_back), add_months(today, months_ahead)


def windows(start: date, end: date, max_days: int = MAX_WINDOW_DAYS) -> Iterator[tuple[date, date]]:
    """Consecutive inclusive windows of at most `max_days` days covering [start, end]."""
    cursor = start
    while cursor <= end:
        last = min(end, cursor + timedelta(days=max_days - 1))
        yield cursor, last
        cursor = last + timedelta(days=1)


class ForecastClient(VendorHttpClient):
    """Paced reads of one Forecast account."""

    vendor = "forecast"

    def __init__(self, connection: ForecastConnection, *, rate_limit: RateLimit = FORECAST_RATE_LIMIT,
                 on_event: Callable[[str], None] | None = None, timeout: float = 60.0) -> None:
        self.http = VendorHttp(
            vendor=self.vendor, account=connection.account_id, base_url=connection.base_url,
            rate_limit=rate_limit,
            headers={"Authorization": f"Bearer {connection.access_token}",
                     "Forecast-Account-ID": connection.account_id,
                     "User-Agent": "timesync", "Accept": "application/json"},
            on_event=on_event, timeout=timeout,
        )

    def whoami(self) -> dict[str, Any]:
        """`GET /whoami`: the cheapest authenticated call."""
        current_user = self._get("whoami", "current_user", {})
        if not isinstance(current_user, dict):
            raise NonRetryableError(self.vendor, self.http.account, "GET", "/whoami", "no current_user")
        return current_user

    def pages(self, resource: str) -> Iterator[Page]:
        """A dimension list: one page, since Forecast does not paginate."""
        if resource not in RESOURCES or resource == "assignments":
            raise ValueError(f"not a Forecast dimension: {resource}")
        yield self._list(resource, resource, {})

    def assignment_pages(self, start: date, end: date) -> Iterator[Page]:
        """Assignments overlapping [start, end], one page per window, each id once."""
        seen: set[int] = set()
        for first, last in windows(start, end):
            page = self._list("assignments", "assignments",
                              {"start_date": first.isoformat(), "end_date": last.isoformat()})
            fresh = [r for r in page if not (isinstance(r, dict) and r.get("id") in seen)]
            seen.update(r["id"] for r in fresh if isinstance(r, dict) and r.get("id") is not None)
            yield fresh

    def _get(self, path: str, key: str, params: dict[str, str]) -> Any:
        body = self.http.get_json(path, params=params)
        return body.get(key) if isinstance(body, dict) else None

    def _list(self, path: str, key: str, params: dict[str, str]) -> Page:
        records = self._get(path, key, params)
        if not isinstance(records, list):
            raise NonRetryableError(self.vendor, self.http.account, "GET", f"/{path}",
                                    f"response has no '{key}' list")
        return records
