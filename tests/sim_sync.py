"""Helpers for the vendor-sync tests: simulator-backed companies and staging reads.

Tests share one migrated database and isolate themselves by company: each test's company has a
unique key (so its own company_id) even when the simulator world behind it is the same.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from pipelines.assets.factory import StreamOutcome, VendorSpec, run_stream
from resources.config import CompanyConnections, ForecastConnection, HarvestConnection
from resources.http import RateLimit
from resources.mysql import Database
from resources.sql import quote_identifier
from simulators.stack import SimulatorStack, start_stack

# Simulators run with rate_limit_scale=0.01 (100 requests / 0.15 s); the clients pace to match.
SIM_RATE_LIMIT_SCALE = 0.01
FAST_RATE_LIMIT = RateLimit(requests=100, per_seconds=0.15, safety_seconds=0.05)


@contextmanager
def simulators(companies: list[str] | None = None, vendors: tuple[str, ...] = ("harvest", "forecast"),
               rate_limit_scale: float = SIM_RATE_LIMIT_SCALE) -> Iterator[SimulatorStack]:
    stack = start_stack(companies or ["acme"], vendors=vendors, rate_limit_scale=rate_limit_scale)
    try:
        yield stack
    finally:
        stack.stop()


def company_of(stack: SimulatorStack, world: str = "acme", token: str | None = None) -> CompanyConnections:
    """A company (unique key) whose Harvest and Forecast connections point at the simulators."""
    env = stack.env(world)
    token = env["HARVEST_ACCESS_TOKEN"] if token is None else token
    harvest = forecast = None
    if env["HARVEST_BASE_URL"]:
        harvest = HarvestConnection(account_id=env["HARVEST_ACCOUNT_ID"], access_token=token,
                                    user_agent=env["HARVEST_USER_AGENT"], base_url=env["HARVEST_BASE_URL"])
    if env["FORECAST_BASE_URL"]:
        forecast = ForecastConnection(account_id=env["FORECAST_ACCOUNT_ID"], access_token=token,
                                      base_url=env["FORECAST_BASE_URL"])
    key = f"{world}_{secrets.token_hex(4)}"
    return CompanyConnections(key=key, name=f"{env['TIMESYNC_COMPANY_NAME']} ({key})", harvest=harvest,
                              forecast=forecast)


def sync(db: Database, company: CompanyConnections, vendor: VendorSpec, stream: str,
         **kwargs: Any) -> StreamOutcome:
    spec = next(s for s in vendor.streams if s.name == stream)
    return run_stream(db, company, vendor, spec, log=lambda _line: None, **kwargs)


def company_id(db: Database, company: CompanyConnections) -> int:
    return int(db.query("SELECT id FROM companies WHERE company_key = %s", (company.key,))[0]["id"])


def staged(db: Database, table: str, company: CompanyConnections, columns: str = "id, deleted_at",
           where: str = "TRUE") -> list[dict[str, Any]]:
    """Rows of a staging table for one company (`where` is test-authored SQL, never data)."""
    sql = f"SELECT {columns} FROM {quote_identifier(table)} WHERE company_id = %s AND {where} ORDER BY id"
    return db.query(sql, (company_id(db, company),))


def live_ids(db: Database, table: str, company: CompanyConnections) -> set[int]:
    return {r["id"] for r in staged(db, table, company, "id", "deleted_at IS NULL")}


def sync_log_rows(db: Database, company: CompanyConnections, stream: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM sync_logs WHERE company_id = %s" + (" AND stream = %s" if stream else "") + " ORDER BY id"
    params = (company_id(db, company), stream) if stream else (company_id(db, company),)
    return db.query(sql, params)


def logged_at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["ts"])


def max_requests_in_any_window(times: list[datetime], window: timedelta) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
