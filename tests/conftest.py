"""Shared fixtures: a real MariaDB database per test session (unique name, dropped at the end)."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from resources.config import DbSettings
from resources.migrations import migrate
from resources.mysql import Database

REPO = Path(__file__).resolve().parent.parent
ROOT_SETTINGS = DbSettings(
    host=os.environ.get("TEST_DB_HOST", "127.0.0.1"),
    port=int(os.environ.get("TEST_DB_PORT", "3306")),
    user=os.environ.get("TEST_DB_USER", "root"),
    password=os.environ.get("TEST_DB_PASSWORD", ""),
    name="mysql",
    read_timeout=120,
    write_timeout=120,
)


def new_database_name(prefix: str = "ts_test") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def root_connection() -> pymysql.connections.Connection:
    """An autocommit connection as the server's root user, to no database."""
    return pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=ROOT_SETTINGS.user,
                           password=ROOT_SETTINGS.password, autocommit=True)


def drop_database(name: str) -> None:
    """Drop a test database and the analyst schema every migrate derives beside it."""
    conn = root_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP DATABASE IF EXISTS `{name}_analyst`")
    finally:
        conn.close()


def database_named(name: str) -> Database:
    s = ROOT_SETTINGS
    return Database(DbSettings(host=s.host, port=s.port, user=s.user, password=s.password, name=name,
                               read_timeout=120, write_timeout=120))


def db_env(db: Database) -> dict[str, str]:
    s = db.settings
    return {"DB_HOST": s.host, "DB_PORT": str(s.port), "DB_USER": s.user, "DB_PASSWORD": s.password,
            "DB_NAME": s.name}


@pytest.fixture
def empty_db() -> Iterator[Database]:
    """A database name that does not exist yet (dropped afterwards)."""
    name = new_database_name()
    yield database_named(name)
    drop_database(name)


@pytest.fixture(scope="session")
def migrated_db() -> Iterator[Database]:
    """One migrated database shared by a test session; tests isolate themselves by company_id."""
    name = new_database_name()
    db = database_named(name)
    migrate(db, log=lambda _line: None)
    previous = {k: os.environ.get(k) for k in db_env(db)}
    os.environ.update(db_env(db))
    yield db
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if not os.environ.get("TIMESYNC_KEEP_TEST_DB"):
        drop_database(name)


@pytest.fixture
def fresh_db() -> Iterator[Database]:
    """A migrated database of its own, for tests that need empty tables."""
    name = new_database_name()
    db = database_named(name)
    migrate(db, log=lambda _line: None)
    yield db
    drop_database(name)


def run_cli(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `timesync` command in a subprocess with the given environment overrides."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "SSH_", "USE_SSH"))}
    full_env.update(env)
    exe = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "timesync"
    cmd = [str(exe)] if exe.exists() else ["python", "-m", "pipelines.cli"]
    return subprocess.run(cmd + args, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=REPO)
