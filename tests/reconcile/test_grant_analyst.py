"""`timesync grant-analyst`: a read-only user for the analyst contract and nothing else."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pymysql
import pytest

from pipelines.reconcile.grants import ANALYST_TABLES
from resources.mysql import Database
from tests.conftest import ROOT_SETTINGS, db_env, run_cli

DENIED = {1142, 1143, 1044}  # table / column / database access denied


@pytest.fixture
def analyst(migrated_db: Database) -> Iterator[pymysql.connections.Connection]:
    user, password = f"analyst_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    result = run_cli(["grant-analyst", user, f"--password={password}", "--host", "%"], db_env(migrated_db))
    assert result.returncode == 0, result.stderr
    conn = pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=user, password=password,
                           database=migrated_db.name, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()
        migrated_db.execute("DROP USER IF EXISTS %s@'%%'", (user,))


def error_code(conn: pymysql.connections.Connection, sql: str) -> int | None:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()
    except pymysql.MySQLError as exc:
        return int(exc.args[0])
    return None


def test_analyst_reads_every_normalized_table_view_and_sync_logs(analyst: pymysql.connections.Connection) -> None:
    for table in ANALYST_TABLES:
        assert error_code(analyst, f"SELECT * FROM `{table}` LIMIT 1") is None, table


def test_analyst_cannot_write_or_read_staging_or_tokens(analyst: pymysql.connections.Connection) -> None:
    assert error_code(analyst, "SELECT * FROM staging_harvest_time_entries LIMIT 1") in DENIED
    assert error_code(analyst, "SELECT * FROM staging_jira_users LIMIT 1") in DENIED
    assert error_code(analyst, "SELECT * FROM oauth_tokens LIMIT 1") in DENIED
    assert error_code(analyst, "UPDATE time_entries SET hours = 0") in DENIED
    assert error_code(analyst, "INSERT INTO identity_overrides (company_id) VALUES (1)") in DENIED
    assert error_code(analyst, "DELETE FROM sync_logs") in DENIED
    assert error_code(analyst, "CREATE TABLE mine (x INT)") in DENIED
