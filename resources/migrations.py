"""Forward-only, checksummed migrations from staging_sql/migrations/NNNN_<name>.sql."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymysql

from resources.locks import LockBusy, named_lock
from resources.mysql import Database
from resources.sql import SQL_ROOT, quote_identifier, split_statements

MIGRATIONS_DIR = SQL_ROOT / "migrations"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LOCK_TIMEOUT_SECONDS = 300

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
  version CHAR(4) NOT NULL,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  duration_ms INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(Migration(match.group(1), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration numbers in {directory}")
    return found


def lock_name(db: Database) -> str:
    # MySQL caps lock names at 64 characters.
    return f"timesync:migrate:{db.name}"[:64]


def ensure_database(db: Database) -> None:
    def work(conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE IF NOT EXISTS {quote_identifier(db.name)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        conn.commit()

    db.run(work, with_database=False)


def applied_migrations(conn: pymysql.connections.Connection) -> dict[str, tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT version, name, checksum FROM schema_migrations")
        return {row[0]: (row[1], row[2]) for row in cur.fetchall()}


def check_applied(applied: dict[str, tuple[str, str]], migrations: list[Migration]) -> list[Migration]:
    """The migrations still to apply; refuses edited applied files."""
    pending: list[Migration] = []
    for m in migrations:
        if m.version not in applied:
            pending.append(m)
            continue
        _, checksum = applied[m.version]
        if checksum != m.checksum:
            raise MigrationError(
                f"migration {m.path.name} was already applied with checksum {checksum[:12]}… but the file "
                f"now has {m.checksum[:12]}…; applied migrations are never edited — add a new one instead"
            )
    return pending


def pending_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = available_migrations(directory)

    def work(conn: pymysql.connections.Connection) -> list[Migration]:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES LIKE 'schema_migrations'")
            if cur.fetchone() is None:
                return migrations
        return check_applied(applied_migrations(conn), migrations)

    return db.run(work)


def migrate(db: Database, directory: Path = MIGRATIONS_DIR, log: Callable[[str], None] = print) -> list[str]:
    """Apply pending migrations in order; returns the file names applied (empty when up to date)."""
    ensure_database(db)
    migrations = available_migrations(directory)
    applied_now: list[str] = []
    try:
        with named_lock(db, lock_name(db), LOCK_TIMEOUT_SECONDS), db.connection() as conn, conn.cursor() as cur:
            cur.execute(CREATE_SCHEMA_MIGRATIONS)
            # Read under the lock: a concurrent runner may just have applied some.
            pending = check_applied(applied_migrations(conn), migrations)
            for m in pending:
                started = time.monotonic()
                for statement in split_statements(m.text):
                    try:
                        cur.execute(statement)
                    except pymysql.MySQLError as exc:
                        conn.rollback()
                        raise MigrationError(f"{m.path.name} failed: {exc.args[-1]}") from exc
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (%s,%s,%s,%s)",
                    (m.version, m.name, m.checksum, int((time.monotonic() - started) * 1000)),
                )
                conn.commit()
                applied_now.append(m.path.name)
                log(f"applied {m.path.name}")
    except LockBusy as exc:
        raise MigrationError(f"another migrate is running: {exc}") from exc
    return applied_now
