"""Settings read from the environment (and, for several companies, a connections file).

Secrets are held only in memory; `__repr__` of every settings object hides them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class DbSettings:
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = field(default="", repr=False)
    name: str = "timesync"
    ssl_ca: str | None = None
    ssl_verify: bool = True
    connect_timeout: int = 10
    read_timeout: int = 600
    write_timeout: int = 600


@dataclass(frozen=True)
class TunnelSettings:
    host: str
    user: str
    private_key_path: str
    known_hosts: str
    port: int = 22
    private_key_passphrase: str | None = field(default=None, repr=False)
    # Where MySQL listens as seen from the SSH server.
    remote_host: str = "127.0.0.1"
    remote_port: int = 3306


def staging_retention_days(env: Mapping[str, str] | None = None) -> int:
    """Days a staging row is kept after it was last written (housekeeping deletes older rows)."""
    return int((os.environ if env is None else env).get("TIMESYNC_STAGING_RETENTION_DAYS", "14"))


def db_settings_from_env(env: Mapping[str, str] | None = None) -> DbSettings:
    env = os.environ if env is None else env
    return DbSettings(
        host=env.get("DB_HOST", "127.0.0.1"),
        port=int(env.get("DB_PORT", "3306")),
        user=env.get("DB_USER", "root"),
        password=env.get("DB_PASSWORD", ""),
        name=env.get("DB_NAME", "timesync"),
        ssl_ca=env.get("DB_SSL_CA") or None,
        ssl_verify=env_flag(env, "DB_SSL_VERIFY", True),
        connect_timeout=int(env.get("DB_CONNECT_TIMEOUT", "10")),
        read_timeout=int(env.get("DB_READ_TIMEOUT", "600")),
        write_timeout=int(env.get("DB_WRITE_TIMEOUT", "600")),
    )


def tunnel_settings_from_env(env: Mapping[str, str] | None = None) -> TunnelSettings | None:
    """The tunnel settings when USE_SSH_TUNNEL is true, else None.

    With a tunnel, DB_HOST/DB_PORT name MySQL as the SSH server sees it.
    """
    env = os.environ if env is None else env
    if not env_flag(env, "USE_SSH_TUNNEL"):
        return None
    missing = [n for n in ("SSH_HOST", "SSH_USER", "SSH_PRIVATE_KEY_PATH") if not env.get(n)]
    if missing:
        raise ValueError(f"USE_SSH_TUNNEL=true but {', '.join(missing)} not set")
    known_hosts = env.get("SSH_KNOWN_HOSTS") or str(Path.home() / ".ssh" / "known_hosts")
    return TunnelSettings(
        host=env["SSH_HOST"],
        port=int(env.get("SSH_PORT", "22")),
        user=env["SSH_USER"],
        private_key_path=env["SSH_PRIVATE_KEY_PATH"],
        private_key_passphrase=env.get("SSH_PRIVATE_KEY_PASSPHRASE") or None,
        known_hosts=known_hosts,
        remote_host=env.get("DB_HOST", "127.0.0.1"),
        remote_port=int(env.get("DB_PORT", "3306")),
    )


# --- vendor connections -------------------------------------------------------------------------

HARVEST_DEFAULT_URL = "https://api.harvestapp.com"
FORECAST_DEFAULT_URL = "https://api.forecastapp.com"
QBO_DEFAULT_URL = "https://quickbooks.api.intuit.com"
QBO_DEFAULT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"


@dataclass(frozen=True)
class HarvestConnection:
    account_id: str
    access_token: str = field(repr=False)
    user_agent: str
    base_url: str = HARVEST_DEFAULT_URL


@dataclass(frozen=True)
class ForecastConnection:
    account_id: str
    access_token: str = field(repr=False)
    base_url: str = FORECAST_DEFAULT_URL


@dataclass(frozen=True)
class QboConnection:
    realm_id: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    base_url: str = QBO_DEFAULT_URL
    token_url: str = QBO_DEFAULT_TOKEN_URL


@dataclass(frozen=True)
class JiraConnection:
    base_url: str
    email: str
    api_token: str = field(repr=False)


@dataclass(frozen=True)
class CompanyConnections:
    """Everything one company (tenant) syncs from."""

    key: str
    name: str
    harvest: HarvestConnection | None = None
    forecast: ForecastConnection | None = None
    qbo: QboConnection | None = None
    jira: JiraConnection | None = None

    def secrets(self) -> list[str]:
        found: list[str] = []
        for conn in (self.harvest, self.forecast, self.qbo, self.jira):
            for attr in ("access_token", "client_secret", "refresh_token", "api_token"):
                value = getattr(conn, attr, None)
                if value:
                    found.append(value)
        return found


def _company_from_plain_env(env: Mapping[str, str]) -> CompanyConnections:
    key = env.get("TIMESYNC_COMPANY_KEY", "default")
    harvest = forecast = qbo = jira = None
    token = env.get("HARVEST_ACCESS_TOKEN", "")
    if env.get("HARVEST_ACCOUNT_ID") and token:
        harvest = HarvestConnection(
            account_id=env["HARVEST_ACCOUNT_ID"],
            access_token=token,
            user_agent=env.get("HARVEST_USER_AGENT", "timesync (https://github.com/timesync)"),
            base_url=env.get("HARVEST_BASE_URL", HARVEST_DEFAULT_URL),
        )
    if env.get("FORECAST_ACCOUNT_ID") and token:
        forecast = ForecastConnection(
            account_id=env["FORECAST_ACCOUNT_ID"],
            access_token=token,
            base_url=env.get("FORECAST_BASE_URL", FORECAST_DEFAULT_URL),
        )
    if env.get("QBO_REALM_ID") and env.get("QBO_CLIENT_ID"):
        qbo = QboConnection(
            realm_id=env["QBO_REALM_ID"],
            client_id=env["QBO_CLIENT_ID"],
            client_secret=env.get("QBO_CLIENT_SECRET", ""),
            refresh_token=env.get("QBO_REFRESH_TOKEN", ""),
            base_url=env.get("QBO_BASE_URL", QBO_DEFAULT_URL),
            token_url=env.get("QBO_TOKEN_URL", QBO_DEFAULT_TOKEN_URL),
        )
    if env.get("JIRA_BASE_URL") and env.get("JIRA_API_TOKEN"):
        jira = JiraConnection(
            base_url=env["JIRA_BASE_URL"], email=env.get("JIRA_EMAIL", ""), api_token=env["JIRA_API_TOKEN"]
        )
    return CompanyConnections(
        key=key, name=env.get("TIMESYNC_COMPANY_NAME", key), harvest=harvest, forecast=forecast, qbo=qbo, jira=jira
    )


def _secret(env: Mapping[str, str], section: Mapping[str, object], name: str, where: str) -> str:
    var = section.get(f"{name}_env")
    if not var:
        raise ValueError(f"{where}: '{name}_env' (the variable holding the secret) is required")
    value = env.get(str(var))
    if not value:
        raise ValueError(f"{where}: environment variable {var} is not set")
    return value


def _company_from_file_entry(entry: Mapping[str, object], env: Mapping[str, str]) -> CompanyConnections:
    key = str(entry["key"])
    harvest = forecast = qbo = jira = None
    harvest_token = ""
    if isinstance(h := entry.get("harvest"), dict):
        harvest_token = _secret(env, h, "access_token", f"{key}.harvest")
        harvest = HarvestConnection(
            account_id=str(h["account_id"]),
            access_token=harvest_token,
            user_agent=str(h.get("user_agent", "timesync (https://github.com/timesync)")),
            base_url=str(h.get("base_url", HARVEST_DEFAULT_URL)),
        )
    if isinstance(f := entry.get("forecast"), dict):
        token = _secret(env, f, "access_token", f"{key}.forecast") if f.get("access_token_env") else harvest_token
        if not token:
            raise ValueError(f"{key}.forecast: needs access_token_env or a harvest section (same token)")
        forecast = ForecastConnection(
            account_id=str(f["account_id"]), access_token=token, base_url=str(f.get("base_url", FORECAST_DEFAULT_URL))
        )
    if isinstance(q := entry.get("qbo"), dict):
        qbo = QboConnection(
            realm_id=str(q["realm_id"]),
            client_id=_secret(env, q, "client_id", f"{key}.qbo"),
            client_secret=_secret(env, q, "client_secret", f"{key}.qbo"),
            refresh_token=_secret(env, q, "refresh_token", f"{key}.qbo"),
            base_url=str(q.get("base_url", QBO_DEFAULT_URL)),
            token_url=str(q.get("token_url", QBO_DEFAULT_TOKEN_URL)),
        )
    if isinstance(j := entry.get("jira"), dict):
        jira = JiraConnection(
            base_url=str(j["base_url"]), email=str(j.get("email", "")),
            api_token=_secret(env, j, "api_token", f"{key}.jira"),
        )
    return CompanyConnections(
        key=key, name=str(entry.get("name", key)), harvest=harvest, forecast=forecast, qbo=qbo, jira=jira
    )


def load_companies(env: Mapping[str, str] | None = None) -> list[CompanyConnections]:
    """Companies from TIMESYNC_CONNECTIONS (a YAML file) or, without it, the plain variables."""
    env = os.environ if env is None else env
    path = env.get("TIMESYNC_CONNECTIONS")
    if not path:
        company = _company_from_plain_env(env)
        has_any = any((company.harvest, company.forecast, company.qbo, company.jira))
        return [company] if has_any else []
    data = yaml.safe_load(Path(path).read_text()) or {}
    entries = data.get("companies") or []
    companies = [_company_from_file_entry(e, env) for e in entries]
    keys = [c.key for c in companies]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: company keys must be unique, got {keys}")
    return companies
