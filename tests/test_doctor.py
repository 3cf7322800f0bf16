from __future__ import annotations

from resources.mysql import Database
from tests.conftest import db_env, run_cli


def test_doctor_passes_on_a_migrated_database(migrated_db: Database) -> None:
    result = run_cli(["doctor"], db_env(migrated_db))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[OK  ] mysql" in result.stdout and "[OK  ] schema" in result.stdout


def test_doctor_reports_wrong_password_in_one_line_without_the_password(migrated_db: Database) -> None:
    env = db_env(migrated_db) | {"DB_USER": "root", "DB_PASSWORD": "Wr0ng-Pa55word-xyz"}
    # root with an empty password is the only account; a wrong password is refused.
    result = run_cli(["doctor"], env)
    assert result.returncode != 0
    failing = [line for line in result.stdout.splitlines() if line.startswith("[FAIL] mysql")]
    assert len(failing) == 1
    assert "access denied" in failing[0] and "DB_PASSWORD" in failing[0]
    assert "Wr0ng-Pa55word-xyz" not in result.stdout + result.stderr


def test_doctor_reports_pending_migrations(empty_db: Database) -> None:
    result = run_cli(["doctor"], db_env(empty_db))
    assert result.returncode != 0
    assert "[FAIL] schema" in result.stdout and "timesync migrate" in result.stdout
