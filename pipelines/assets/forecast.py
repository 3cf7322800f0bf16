"""Forecast streams as data. Dimensions are re-listed whole and swept as snapshots; assignments are
listed across a horizon (default 12 months back, 6 ahead) and every stored assignment overlapping
it that was not listed again is marked deleted.

The horizon is configurable with FORECAST_HORIZON_MONTHS_BACK / FORECAST_HORIZON_MONTHS_AHEAD.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from pipelines.assets.columns import ID, UPDATED_AT, col
from pipelines.assets.factory import Fetch, FetchRequest, StreamSpec, VendorSpec
from resources.config import CompanyConnections, ForecastConnection
from resources.forecast import FORECAST_RATE_LIMIT, ForecastClient, Page, horizon
from resources.http import RateLimit
from resources.staging import StagingTable
from resources.staging_types import Column

UPDATED_BY = col("updated_by_id", "int")

DIMENSIONS: dict[str, tuple[Column, ...]] = {
    "people": (
        col("first_name"), col("last_name"), col("email"), col("login", max_length=32), col("admin", "bool"),
        col("archived", "bool"), col("subscribed", "bool"), col("harvest_user_id", "int"),
        col("weekly_capacity", "int"), col("roles", "json"), col("teams", "json"), col("working_days", "json"),
        UPDATED_BY,
    ),
    "projects": (
        col("name"), col("code"), col("color", max_length=32), col("notes", "text"), col("start_date", "date"),
        col("end_date", "date"), col("harvest_id", "int"), col("client_id", "int"), col("archived", "bool"),
        col("budget_by", max_length=32), col("budget_is_monthly", "bool"), col("tags", "json"), UPDATED_BY,
    ),
    "clients": (col("name"), col("harvest_id", "int"), col("archived", "bool"), UPDATED_BY),
    "placeholders": (col("name"), col("archived", "bool"), col("roles", "json"), col("teams", "json"), UPDATED_BY),
    "roles": (col("name"), col("harvest_role_id", "int"), col("person_ids", "json"), col("placeholder_ids", "json")),
    "milestones": (col("name"), col("date", "date"), col("project_id", "int"), UPDATED_BY),
}

ASSIGNMENT_COLUMNS: tuple[Column, ...] = (
    col("start_date", "date", required=True), col("end_date", "date", required=True),
    col("allocation", "int"), col("notes", "text"), col("project_id", "int"), col("person_id", "int"),
    col("placeholder_id", "int"), col("repeated_assignment_set_id", "int"), col("active_on_days_off", "bool"),
    UPDATED_BY,
)


def assignment_horizon(today: date | None = None) -> tuple[date, date]:
    return horizon(today or datetime.now(UTC).date(),
                   int(os.environ.get("FORECAST_HORIZON_MONTHS_BACK", "12")),
                   int(os.environ.get("FORECAST_HORIZON_MONTHS_AHEAD", "6")))


def fetch_dimension(resource: str) -> Fetch:
    def fetch(client: ForecastClient, request: FetchRequest) -> Iterator[Page]:
        return client.pages(resource)

    return fetch


def fetch_assignments(client: ForecastClient, request: FetchRequest) -> Iterator[Page]:
    start, end = request.window or assignment_horizon()
    return client.assignment_pages(start, end)


def forecast_table(stream: str, columns: tuple[Column, ...],
                   span_columns: tuple[str, str] | None = None) -> StagingTable:
    return StagingTable(name=f"staging_forecast_{stream}", system="forecast", stream=stream, key=ID,
                        columns=columns, updated_at=UPDATED_AT, span_columns=span_columns)


def forecast_streams() -> tuple[StreamSpec, ...]:
    dimensions = [StreamSpec(forecast_table(name, columns), fetch_dimension(name), sweep="snapshot")
                  for name, columns in DIMENSIONS.items()]
    assignments = StreamSpec(
        forecast_table("assignments", ASSIGNMENT_COLUMNS, span_columns=("start_date", "end_date")),
        fetch_assignments, sweep="window", horizon=assignment_horizon,
    )
    return (*dimensions, assignments)


def forecast_vendor(rate_limit: RateLimit = FORECAST_RATE_LIMIT) -> VendorSpec:
    def open_client(connection: ForecastConnection, log: Callable[[str], None]) -> ForecastClient:
        return ForecastClient(connection, rate_limit=rate_limit, on_event=log)

    def connection_of(company: CompanyConnections) -> ForecastConnection | None:
        return company.forecast

    return VendorSpec(system="forecast", streams=forecast_streams(), connection_of=connection_of,
                      open_client=open_client)


VENDOR = forecast_vendor()
