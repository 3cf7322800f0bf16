"""Simulator fixtures: a tiny two-company Harvest + Forecast stack over real HTTP, fixed anchor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from simulators.stack import SimulatorStack, start_stack

ANCHOR = date(2025, 3, 14)


def harvest_client(stack: SimulatorStack, company: str = "acme") -> httpx.Client:
    e = stack.env(company)
    return httpx.Client(base_url=e["HARVEST_BASE_URL"], timeout=10, headers={
        "Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "Harvest-Account-Id": e["HARVEST_ACCOUNT_ID"],
        "User-Agent": e["HARVEST_USER_AGENT"]})


def forecast_client(stack: SimulatorStack, company: str = "acme") -> httpx.Client:
    e = stack.env(company)
    return httpx.Client(base_url=e["FORECAST_BASE_URL"], timeout=10, headers={
        "Authorization": f"Bearer {e['HARVEST_ACCESS_TOKEN']}", "Forecast-Account-ID": e["FORECAST_ACCOUNT_ID"]})


@pytest.fixture(scope="module")
def hf_stack() -> Iterator[SimulatorStack]:
    """Read-only shared stack (tests that mutate use ``fresh_stack``); rate limits off, clock frozen."""
    stack = start_stack(["acme", "globex"], "tiny", seed=1, rate_limit_scale=0, anchor=ANCHOR,
                        vendors=("harvest", "forecast"))
    for world in stack.registry.worlds():
        world.clock.control(freeze=f"{ANCHOR.isoformat()}T12:00:00Z")
    yield stack
    stack.stop()


@pytest.fixture
def fresh_stack() -> Iterator[SimulatorStack]:
    stack = start_stack(["acme"], "tiny", seed=1, rate_limit_scale=0, anchor=ANCHOR,
                        vendors=("harvest", "forecast"))
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def harvest(hf_stack: SimulatorStack) -> Iterator[httpx.Client]:
    with harvest_client(hf_stack) as client:
        yield client


@pytest.fixture(scope="module")
def forecast(hf_stack: SimulatorStack) -> Iterator[httpx.Client]:
    with forecast_client(hf_stack) as client:
        yield client
