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


def check_qbo(company: CompanyConnections) -> str:
    """One count query; the access token comes from the MySQL token store, so no rotation is wasted."""
    from resources.mysql import Database
    from resources.qbo import QboClient, stored_tokens

    conn = company.qbo
    assert conn is not None
    with QboClient(conn, stored_tokens(Database.from_env(), conn), prefetch_pages=1) as client:
        return f"realm {conn.realm_id} ({client.count('Customer', [])} customers)"


def check_jira(company: CompanyConnections) -> str:
    from resources.jira import JiraClient

    assert company.jira is not None
    with JiraClient(company.jira, list_ahead=1) as client:
        me = client.myself()
        return f"{company.jira.base_url} as {me.get('displayName', '?')} ({me.get('timeZone', '?')})"


VENDOR_CHECKS.append(("qbo", check_qbo))
VENDOR_CHECKS.append(("jira", check_jira))
