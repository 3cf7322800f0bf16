from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from resources.mysql import Database
from tests.conftest import db_env, run_cli
from tests.sshd import SshdServer, running_sshd


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


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    with running_sshd(tmp_path / "sshd") as server:
        yield server


def test_doctor_reports_unreachable_tunnel_in_one_line_without_secrets(migrated_db: Database, sshd: SshdServer) -> None:
    env = db_env(migrated_db) | sshd.env(SSH_PRIVATE_KEY_PATH=str(sshd.client_key_protected),
                                         SSH_PRIVATE_KEY_PASSPHRASE=sshd.passphrase)
    healthy = run_cli(["doctor"], env)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "via ssh" in healthy.stdout
    sshd.kill()
    result = run_cli(["doctor"], env)
    assert result.returncode != 0
    failing = [line for line in result.stdout.splitlines() if line.startswith("[FAIL] mysql")]
    assert len(failing) == 1, result.stdout
    assert str(sshd.port) in failing[0] and "hint:" in failing[0]
    assert sshd.passphrase not in result.stdout + result.stderr


def test_doctor_reports_changed_host_key(migrated_db: Database, sshd: SshdServer) -> None:
    env = db_env(migrated_db) | sshd.env(SSH_KNOWN_HOSTS=str(sshd.wrong_known_hosts))
    result = run_cli(["doctor"], env)
    assert result.returncode != 0
    failing = [line for line in result.stdout.splitlines() if line.startswith("[FAIL] mysql")]
    assert len(failing) == 1 and "host key" in failing[0].lower(), result.stdout
