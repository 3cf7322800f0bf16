from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from resources.migrations import MIGRATIONS_DIR, MigrationError, available_migrations, migrate
from resources.mysql import Database
from tests.conftest import db_env, run_cli


def up_files() -> list[str]:
    return [m.path.name for m in available_migrations()]


def write_migration(directory: Path, stem: str, up: str, down: str) -> None:
    (directory / f"{stem}.sql").write_text(up)
    (directory / f"{stem}.down.sql").write_text(down)


def applied_versions(db: Database) -> list[tuple[str, int]]:
    rows = db.query("SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version")
    return [(r["version"], r["n"]) for r in rows]


def test_migrate_creates_missing_database_and_applies_every_file(empty_db: Database) -> None:
    applied = migrate(empty_db, log=lambda _l: None)
    assert applied == up_files()
    tables = {r["t"] for r in empty_db.query("SELECT table_name AS t FROM information_schema.tables "
                                             "WHERE table_schema = DATABASE()")}
    assert {"schema_migrations", "sync_logs", "companies", "oauth_tokens"} <= tables
    rows = empty_db.query("SELECT version, checksum FROM schema_migrations")
    assert all(len(r["checksum"]) == 64 for r in rows)


def test_second_migrate_is_a_no_op(empty_db: Database) -> None:
    migrate(empty_db, log=lambda _l: None)
    before = empty_db.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    result = run_cli(["migrate"], db_env(empty_db))
    assert result.returncode == 0, result.stderr
    assert "0 applied" in result.stdout
    assert empty_db.query("SELECT version, applied_at FROM schema_migrations ORDER BY version") == before


def test_edited_applied_migration_is_refused(empty_db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    for name in ("0001_foundation.sql", "0001_foundation.down.sql"):
        shutil.copy(MIGRATIONS_DIR / name, directory / name)
    write_migration(directory, "0002_extra", "CREATE TABLE extra_things (id INT PRIMARY KEY);\n",
                    "DROP TABLE IF EXISTS extra_things;\n")
    migrate(empty_db, directory, log=lambda _l: None)
    (directory / "0002_extra.sql").write_text("CREATE TABLE extra_things (id BIGINT PRIMARY KEY);\n")
    with pytest.raises(MigrationError, match=r"0002_extra\.sql was already applied .* never edited"):
        migrate(empty_db, directory, log=lambda _l: None)


def test_concurrent_migrate_runs_apply_each_migration_once(empty_db: Database) -> None:
    errors: list[BaseException] = []
    results: list[list[str]] = []

    def runner() -> None:
        try:
            results.append(migrate(Database(empty_db.settings), log=lambda _l: None))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    files = up_files()
    assert sorted(name for applied in results for name in applied) == files
    assert all(n == 1 for _, n in applied_versions(empty_db))
    assert len(applied_versions(empty_db)) == len(files)


def test_failing_migration_is_not_recorded_and_names_the_file(empty_db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    write_migration(directory, "0001_ok", "CREATE TABLE ok_things (id INT PRIMARY KEY);", "DROP TABLE ok_things;")
    write_migration(directory, "0002_broken", "CREATE TABLE broken_things (id INT PRIMARY KEY;",
                    "DROP TABLE broken_things;")
    with pytest.raises(MigrationError, match="0002_broken.sql failed"):
        migrate(empty_db, directory, log=lambda _l: None)
    assert [v for v, _ in applied_versions(empty_db)] == ["0001"]
