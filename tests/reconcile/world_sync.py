"""A simulator world synced through the real extraction code into MySQL, for the reconcile tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pipelines.assets import jira, qbo
from pipelines.assets.factory import VendorSpec, run_stream
from pipelines.assets.forecast import forecast_vendor
from pipelines.assets.harvest import harvest_vendor
from resources.config import CompanyConnections, load_companies
from resources.locks import ensure_company
from resources.mysql import Database
from simulators.stack import SimulatorStack
from tests.sim_sync import FAST_RATE_LIMIT

VENDORS: tuple[VendorSpec, ...] = (harvest_vendor(FAST_RATE_LIMIT), forecast_vendor(FAST_RATE_LIMIT), qbo.VENDOR,
                                   jira.VENDOR)


@dataclass
class SyncedWorld:
    stack: SimulatorStack
    company: CompanyConnections
    company_id: int

    def truth(self) -> dict[str, Any]:
        return self.stack.truth()


def company_for(stack: SimulatorStack, world: str = "acme") -> CompanyConnections:
    """All four connections of a world, under a company key of its own (tests share one database)."""
    env = {**stack.env(world), "TIMESYNC_COMPANY_KEY": f"{world}_{secrets.token_hex(4)}"}
    return load_companies(env)[0]


def sync_all(db: Database, company: CompanyConnections, mode: str = "full",
             vendors: tuple[VendorSpec, ...] = VENDORS) -> int:
    for vendor in vendors:
        if vendor.connection_of(company) is None:
            continue
        for spec in vendor.streams:
            run_stream(db, company, vendor, spec, mode=mode, log=lambda _line: None)
    return ensure_company(db, company.key, company.name)
