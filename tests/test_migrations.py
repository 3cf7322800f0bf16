from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from resources.analyst_schema import analyst_schema_name
from resources.migrations import (
    EMPTY,
    MIGRATIONS_DIR,
    DataLossRefused,
    MigrationError,
    available_migrations,
    dropped_objects,
    format_status,
    migrate,
    migration_status,
)
from resources.mysql import Database
from resources.sql import split_statements
from tests.conftest import database_named, db_env, drop_database, new_database_name, run_cli
from tests.test_migration_walk import schema_snapshot, snapshot_diff

# A migration whose first two statements cannot simply run twice (ADD KEY of an existing key fails): a
# resumed run must skip them, not repeat them.
RESUMED = "0034_staging_volume_tables.sql"


@pytest.fixture
def empty_db(empty_db: Database) -> Iterator[Database]:
    """conftest's empty_db, and the analyst schema every migrate run derives beside it dropped too."""
    yield empty_db
    drop_database(analyst_schema_name(empty_db.name))


def quiet(_line: str) -> None:
    pass


def copy_migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


def steps_recorded(db: Database) -> list[tuple[str, str, int]]:
    rows = db.query("SELECT version, direction, step FROM schema_migration_steps ORDER BY version, direction, step")
    return [(r["version"], r["direction"], int(r["step"])) for r in rows]


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
    with pytest.raises(MigrationError, match=r"0002_extra\.sql was already applied"):
        migrate(empty_db, directory, log=lambda _l: None, to=0, allow_data_loss=True)
    rows = migration_status(empty_db, directory)
    assert [r.edited for r in rows] == [False, True]
    report = format_status(rows)
    assert "EDITED since applied" in report[2] and report[-1].startswith("0002_extra.sql was edited after")


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


def test_every_migration_has_a_down_and_a_missing_one_is_named(tmp_path: Path) -> None:
    assert all(m.down_path.exists() for m in available_migrations())
    directory = tmp_path / "migrations"
    directory.mkdir()
    write_migration(directory, "0001_ok", "CREATE TABLE ok_things (id INT PRIMARY KEY);", "DROP TABLE ok_things;")
    (directory / "0002_undoable.sql").write_text("CREATE TABLE undoable (id INT PRIMARY KEY);")
    with pytest.raises(MigrationError, match=r"0002_undoable\.sql has no down file: add 0002_undoable\.down\.sql"):
        available_migrations(directory)
    (directory / "0002_undoable.sql").unlink()
    (directory / "0003_orphan.down.sql").write_text("DROP TABLE orphan;")
    with pytest.raises(MigrationError, match=r"0003_orphan\.down\.sql has no up file"):
        available_migrations(directory)


def test_data_loss_parser_finds_dropped_tables_and_columns_only() -> None:
    assert dropped_objects("DROP TABLE IF EXISTS a, `b`") == (["a", "b"], [])
    assert dropped_objects("DROP TEMPORARY TABLE x.c") == (["c"], [])
    assert dropped_objects(
        "ALTER TABLE `t` DROP COLUMN c, DROP KEY k, DROP d, ADD COLUMN x DECIMAL(10,2) NULL AFTER c, DROP FOREIGN KEY "
        "f, DROP INDEX IF EXISTS i, DROP CONSTRAINT ck, DROP PRIMARY KEY, DROP COLUMN IF EXISTS `e f`, DROP CHECK z"
    ) == ([], [("t", "c"), ("t", "d"), ("t", "e f")])
    for harmless in ("DROP VIEW IF EXISTS v", "DROP TRIGGER tr", "DROP DATABASE x", "DROP FUNCTION f",
                     "ALTER TABLE t MODIFY c DECIMAL(10,2) NOT NULL", "ALTER TABLE t ADD KEY ix (a, b)"):
        assert dropped_objects(harmless) == ([], []), harmless
    # Every table a real down drops is seen by the guard.
    for m in available_migrations():
        for statement in split_statements(m.down_path.read_text()):
            if statement.upper().startswith("DROP TABLE"):
                assert dropped_objects(statement)[0], f"{m.down_path.name}: {statement}"


def test_failure_at_statement_3_names_it_and_the_fixed_file_resumes(empty_db: Database, tmp_path: Path) -> None:
    directory = copy_migrations(tmp_path)
    path = directory / RESUMED
    original = path.read_text()
    statements = split_statements(original)
    assert len(statements) >= 3 and original.count(statements[2]) == 1
    path.write_text(original.replace(statements[2], "ALTER TABLE staging_qbo_time_activities ADD KEY ix_qta_known "
                                                     "(no_such_column)"))
    with pytest.raises(MigrationError, match=rf"{RESUMED} failed at statement 3 of 3 \(ALTER TABLE "
                                             r"staging_qbo_time_activities ADD KEY.*\): .*no_such_column") as failed:
        migrate(empty_db, directory, log=quiet)
    assert "resumes at statement 3" in str(failed.value)
    version = RESUMED[:4]
    assert steps_recorded(empty_db) == [(version, "up", 1), (version, "up", 2)]
    assert all(v < version for v, _ in applied_versions(empty_db))
    status = {r.version: r.state for r in migration_status(empty_db, directory)}
    assert status[version] == "half-applied (2 of 3 statements)"
    with pytest.raises(MigrationError, match=rf"{RESUMED} is half-applied .* --to {version}"):
        migrate(empty_db, directory, log=quiet, to=EMPTY, allow_data_loss=True)

    path.write_text(original)  # the fix; nothing cleaned up by hand
    lines: list[str] = []
    ran = migrate(empty_db, directory, log=lines.append)
    assert ran[0] == RESUMED and f"{RESUMED}: statements 1-2 of 3 completed in an earlier run; resuming at " \
                                  "statement 3" in lines
    assert steps_recorded(empty_db) == [] and [v for v, _ in applied_versions(empty_db)] == \
        [m.version for m in available_migrations(directory)]

    clean = database_named(new_database_name())
    try:
        migrate(clean, directory, log=quiet)
        assert snapshot_diff(schema_snapshot(clean), schema_snapshot(empty_db)) == []
    finally:
        drop_database(analyst_schema_name(clean.name))
        drop_database(clean.name)


def test_down_failing_halfway_resumes_after_the_fix(empty_db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    up = "CREATE TABLE a_things (id INT PRIMARY KEY);\nCREATE TABLE b_things (id INT PRIMARY KEY);\n" \
         "CREATE TABLE c_things (id INT PRIMARY KEY);\n"
    fixed = "DROP TABLE c_things;\nDROP TABLE b_things;\nDROP TABLE a_things;\n"
    write_migration(directory, "0001_things", up, fixed.replace("DROP TABLE a_things", "DROP TABLE a_thingz"))
    migrate(empty_db, directory, log=quiet)
    with pytest.raises(MigrationError, match=r"0001_things\.down\.sql failed at statement 3 of 3 \(DROP TABLE "
                                             r"a_thingz\): Unknown table"):
        migrate(empty_db, directory, log=quiet, to=0)
    assert steps_recorded(empty_db) == [("0001", "down", 1), ("0001", "down", 2)]
    assert migration_status(empty_db, directory)[0].state == "half-reverted (2 of 3 statements)"
    with pytest.raises(MigrationError, match=r"0001_things\.down\.sql is half-reverted .* --to 0000"):
        migrate(empty_db, directory, log=quiet)

    (directory / "0001_things.down.sql").write_text(fixed)
    assert migrate(empty_db, directory, log=quiet, to=0) == ["0001_things.down.sql"]
    assert applied_versions(empty_db) == [] and steps_recorded(empty_db) == []
    assert {r["t"] for r in empty_db.query("SELECT table_name AS t FROM information_schema.tables "
                                           "WHERE table_schema = DATABASE()")} == {"schema_migrations",
                                                                                   "schema_migration_steps"}


def test_down_that_would_lose_data_refuses_before_running_anything(empty_db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    write_migration(directory, "0001_things", "CREATE TABLE things (id INT PRIMARY KEY);",
                    "DROP TABLE IF EXISTS things;")
    write_migration(directory, "0002_notes", "ALTER TABLE things ADD COLUMN note VARCHAR(20) NULL, "
                    "ADD COLUMN spare INT NULL;", "ALTER TABLE things DROP COLUMN spare, DROP COLUMN note;")
    write_migration(directory, "0003_empty", "CREATE TABLE empty_things (id INT PRIMARY KEY);",
                    "DROP TABLE empty_things;")
    migrate(empty_db, directory, log=quiet)
    empty_db.execute("INSERT INTO things (id, note) VALUES (1, 'a'), (2, NULL), (3, 'c')")

    # An empty table and a column without values lose nothing: that down runs unasked.
    assert migrate(empty_db, directory, log=quiet, to=2) == ["0003_empty.down.sql"]
    with pytest.raises(DataLossRefused) as refused:
        migrate(empty_db, directory, log=quiet, to=0)
    assert str(refused.value) == ("0002_notes.down.sql would drop column things.note (2 rows with a value); "
                                  "0001_things.down.sql would drop table things (3 rows); "
                                  "re-run with --allow-data-loss to drop them")
    assert [v for v, _ in applied_versions(empty_db)] == ["0001", "0002"]
    assert empty_db.query("SELECT COUNT(note) AS n FROM things")[0]["n"] == 2  # nothing ran

    assert migrate(empty_db, directory, log=quiet, to=0, allow_data_loss=True) == [
        "0002_notes.down.sql", "0001_things.down.sql"]
    assert applied_versions(empty_db) == []


def test_every_run_ends_refreshing_the_analyst_schema(empty_db: Database) -> None:
    analyst = analyst_schema_name(empty_db.name)

    def analyst_views() -> set[str]:
        return {r["t"] for r in empty_db.query("SELECT table_name AS t FROM information_schema.views "
                                               "WHERE table_schema = %s", (analyst,))}

    migrate(empty_db, log=quiet)
    assert {"time_entries", "companies", "v_time_entries"} <= analyst_views()
    empty_db.execute(f"DROP VIEW `{analyst}`.`time_entries`")
    assert migrate(empty_db, log=quiet) == []  # a no-op run refreshes too
    assert "time_entries" in analyst_views()
    migrate(empty_db, log=quiet, to="0035")  # below the analyst mapping (0040): no analyst schema
    assert analyst_views() == set()


def test_cli_migrate_to_and_status(empty_db: Database) -> None:
    env = db_env(empty_db)
    versions = [m.version for m in available_migrations()]
    result = run_cli(["migrate", "--to", "30"], env)
    assert result.returncode == 0, result.stderr
    up_to_30 = [v for v in versions if v <= "0030"]
    assert f"{len(up_to_30)} applied, 0 reverted, schema of {empty_db.name} is at 0030" in result.stdout
    empty_db.execute("INSERT INTO companies (company_key, name) VALUES ('cli_co', 'CLI Co')")

    result = run_cli(["migrate", "--status"], env)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:-1]}
    checksums = {m.version: m.checksum for m in available_migrations()}
    for version in versions:
        state = "applied" if version <= "0030" else "pending"
        assert lines[version].split()[1] == state and checksums[version][:16] in lines[version]
        assert lines[version].count(checksums[version][:16]) == (2 if state == "applied" else 1)
    assert result.stdout.splitlines()[-1] == f"{len(up_to_30)} applied, {len(versions) - len(up_to_30)} pending; " \
                                              "schema at 0030"

    result = run_cli(["migrate", "--to", "0"], env)
    assert result.returncode == 2
    assert "0001_foundation.down.sql would drop table companies (1 row)" in result.stderr
    assert "--allow-data-loss" in result.stderr
    result = run_cli(["migrate", "--to", "0", "--allow-data-loss"], env)
    assert result.returncode == 0, result.stderr
    assert f"0 applied, {len(up_to_30)} reverted, schema of {empty_db.name} is at 0000" in result.stdout
    result = run_cli(["migrate", "--to", "0099"], env)
    assert result.returncode == 2 and "no migration 0099" in result.stderr
