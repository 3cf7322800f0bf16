"""Jira tests: a fresh simulator per test, a short feed lag, and a company pointing at it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from pipelines.assets import jira as jira_assets
from pipelines.assets.factory import StreamOutcome
from resources.config import CompanyConnections, JiraConnection
from resources.mysql import Database
from simulators.stack import SimulatorStack
from tests.sim_sync import company_id, simulators, sync

# The simulator's feeds leave out changes younger than this (Jira: 60 s), scaled down for tests.
LAG_SECONDS = 3


@pytest.fixture
def jira_stack() -> Iterator[SimulatorStack]:
    with simulators(vendors=("jira",)) as stack:
        jira_mutate(stack, "config", "configure", lag_seconds=LAG_SECONDS)
        yield stack


@pytest.fixture
def jira_company(jira_stack: SimulatorStack) -> CompanyConnections:
    e = jira_stack.env()
    key = f"acme_{secrets.token_hex(4)}"
    return CompanyConnections(key=key, name=f"Acme ({key})", jira=JiraConnection(
        base_url=e["JIRA_BASE_URL"], email=e["JIRA_EMAIL"], api_token=e["JIRA_API_TOKEN"]))


def jira_mutate(stack: SimulatorStack, resource: str, op: str, id: Any = None,  # noqa: A002 - vendor word
                **fields: Any) -> dict[str, Any]:
    return stack.servers["jira"].mutate(system="jira", resource=resource, op=op, id=id, fields=fields)


def advance_clock(stack: SimulatorStack, seconds: float) -> None:
    for world in stack.registry.worlds():
        world.clock.control(advance=seconds)


def sync_jira(db: Database, company: CompanyConnections, stream: str, **kwargs: Any) -> StreamOutcome:
    return sync(db, company, jira_assets.VENDOR, stream, **kwargs)


def jira_rows(db: Database, company: CompanyConnections, stream: str, where: str = "TRUE") -> list[dict[str, Any]]:
    table = jira_assets.STREAMS[stream].table
    return db.query(f"SELECT * FROM {table.name} WHERE company_id = %s AND {where} ORDER BY {table.key.name}",
                    (company_id(db, company),))
