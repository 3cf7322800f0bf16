"""QBO tests: a fresh simulator per test (OAuth state included) and a company pointing at it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pipelines.assets import qbo as qbo_assets
from pipelines.assets.factory import StreamOutcome
from resources.config import CompanyConnections, QboConnection
from resources.mysql import Database
from simulators.stack import SimulatorStack
from tests.sim_sync import company_id, simulators, sync

THROTTLE_WAIT = "0.2"


@pytest.fixture
def qbo_stack(migrated_db: Database) -> Iterator[SimulatorStack]:
    previous = os.environ.get("QBO_THROTTLE_WAIT_SECONDS")
    os.environ["QBO_THROTTLE_WAIT_SECONDS"] = THROTTLE_WAIT
    with simulators(vendors=("qbo",)) as stack:
        # Every test's simulator starts a new OAuth chain from the seed token.
        migrated_db.execute("DELETE FROM oauth_tokens WHERE provider = 'qbo' AND account_key = %s",
                            (stack.world().qbo_realm_id,))
        yield stack
    if previous is None:
        os.environ.pop("QBO_THROTTLE_WAIT_SECONDS", None)
    else:
        os.environ["QBO_THROTTLE_WAIT_SECONDS"] = previous


def qbo_connection(stack: SimulatorStack, world: str = "acme") -> QboConnection:
    e = stack.env(world)
    return QboConnection(realm_id=e["QBO_REALM_ID"], client_id=e["QBO_CLIENT_ID"],
                         client_secret=e["QBO_CLIENT_SECRET"], refresh_token=e["QBO_REFRESH_TOKEN"],
                         base_url=e["QBO_BASE_URL"], token_url=e["QBO_TOKEN_URL"])


@pytest.fixture
def qbo_company(qbo_stack: SimulatorStack) -> CompanyConnections:
    key = f"acme_{secrets.token_hex(4)}"
    return CompanyConnections(key=key, name=f"Acme ({key})", qbo=qbo_connection(qbo_stack))


def sync_qbo(db: Database, company: CompanyConnections, stream: str, **kwargs: Any) -> StreamOutcome:
    return sync(db, company, qbo_assets.VENDOR, stream, **kwargs)


def qbo_rows(db: Database, company: CompanyConnections, stream: str, where: str = "TRUE") -> list[dict[str, Any]]:
    table = qbo_assets.STREAMS[stream].table.name
    return db.query(f"SELECT * FROM {table} WHERE company_id = %s AND {where} ORDER BY qbo_id",
                    (company_id(db, company),))


def oauth(stack: SimulatorStack, op: str = "stats", **fields: Any) -> dict[str, Any]:
    return stack.servers["qbo"].mutate(system="qbo", resource="oauth", op=op, fields=fields)


def token_request(stack: SimulatorStack, refresh_token: str) -> httpx.Response:
    e = stack.env()
    return httpx.post(e["QBO_TOKEN_URL"], auth=(e["QBO_CLIENT_ID"], e["QBO_CLIENT_SECRET"]),
                      data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def stored_token(db: Database, stack: SimulatorStack) -> dict[str, Any]:
    return db.query("SELECT * FROM oauth_tokens WHERE provider = 'qbo' AND account_key = %s",
                    (stack.world().qbo_realm_id,))[0]
