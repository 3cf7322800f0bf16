"""Dagster resources built from the environment through EnvVar, so no secret renders in the UI."""

from __future__ import annotations

import os

from dagster import EnvVar

from resources.config import env_flag
from resources.mysql import MySQLResource

_DB_DEFAULTS = {"DB_HOST": "127.0.0.1", "DB_USER": "root", "DB_NAME": "timesync"}


def _str(name: str, default: str = "") -> str | EnvVar:
    return EnvVar(name) if os.environ.get(name) else default


def mysql_resource_from_env() -> MySQLResource:
    use_tunnel = env_flag(os.environ, "USE_SSH_TUNNEL")
    return MySQLResource(
        host=_str("DB_HOST", _DB_DEFAULTS["DB_HOST"]),
        port=EnvVar.int("DB_PORT") if os.environ.get("DB_PORT") else 3306,
        user=_str("DB_USER", _DB_DEFAULTS["DB_USER"]),
        password=_str("DB_PASSWORD"),
        database=_str("DB_NAME", _DB_DEFAULTS["DB_NAME"]),
        ssl_ca=_str("DB_SSL_CA"),
        use_ssh_tunnel=use_tunnel,
        ssh_host=_str("SSH_HOST"),
        ssh_port=EnvVar.int("SSH_PORT") if os.environ.get("SSH_PORT") else 22,
        ssh_user=_str("SSH_USER"),
        ssh_private_key_path=_str("SSH_PRIVATE_KEY_PATH"),
        ssh_private_key_passphrase=_str("SSH_PRIVATE_KEY_PASSPHRASE"),
        ssh_known_hosts=_str("SSH_KNOWN_HOSTS"),
    )
