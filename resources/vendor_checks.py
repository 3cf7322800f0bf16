"""Registers each vendor client's cheap authenticated call as a doctor check.

Each vendor client module adds itself here when it exists.
"""

from __future__ import annotations

from resources.config import CompanyConnections
from resources.doctor import VENDOR_CHECKS
from resources.forecast import ForecastClient
from resources.harvest import HarvestClient


def check_harvest(company: CompanyConnections) -> str:
    assert company.harvest is not None
    with HarvestClient(company.harvest, timeout=15.0) as client:
        return f"account {company.harvest.account_id} ({client.company().get('name', '?')})"


def check_forecast(company: CompanyConnections) -> str:
    assert company.forecast is not None
    with ForecastClient(company.forecast, timeout=15.0) as client:
        return f"account {company.forecast.account_id} (user {client.whoami().get('id', '?')})"


VENDOR_CHECKS.append(("harvest", check_harvest))
VENDOR_CHECKS.append(("forecast", check_forecast))
