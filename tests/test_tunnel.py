"""The SSH tunnel against a real OpenSSH sshd (tests/sshd.py) and the real MariaDB."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pymysql
import pytest

import resources.tunnel as tunnel_module
from resources.config import DbSettings, TunnelSettings
from resources.mysql import Database, DatabaseUnavailable
from resources.tunnel import (
    HostKeyError,
    SshTunnel,
    TunnelError,
    close_shared_tunnels,
    known_host_keys,
    shared_tunnel,
)
from tests.sshd import SshdServer, _keygen, running_sshd

MYSQL_HOST = os.environ.get("TEST_DB_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("TEST_DB_PORT", "3306"))
MYSQL_USER = os.environ.get("TEST_DB_USER", "root")
MYSQL_PASSWORD = os.environ.get("TEST_DB_PASSWORD", "")
# Failing "promptly" means well under any read timeout, and without the 10 s connect timeouts.
PROMPT_S = 5.0


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    with running_sshd(tmp_path / "sshd") as server:
        yield server


@pytest.fixture(autouse=True)
def _no_tunnel_outlives_its_test() -> Iterator[None]:
    yield
    close_shared_tunnels()


def _root_connection() -> pymysql.connections.Connection:
    return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, password=MYSQL_PASSWORD,
                           autocommit=True)


@pytest.fixture
def db_name() -> Iterator[str]:
    """A database of this test's own (others run tests on the same server at the same time)."""
    name = f"ts_tunnel_{secrets.token_hex(4)}"
    conn = _root_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield name
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def _db_settings(name: str) -> DbSettings:
    return DbSettings(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, password=MYSQL_PASSWORD, name=name,
                      connect_timeout=5, read_timeout=30, write_timeout=30)


def _tunneled_db(sshd: SshdServer, name: str, **tunnel_options: object) -> Database:
    settings = sshd.tunnel_settings(remote_host=MYSQL_HOST, remote_port=MYSQL_PORT, **tunnel_options)  # type: ignore[arg-type]
    return Database(_db_settings(name), settings)


def _fingerprint_in(known_hosts: Path) -> str:
    """The SHA256 fingerprint of the first key in a known_hosts file, as OpenSSH prints it."""
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(known_hosts)], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def _logins(sshd: SshdServer) -> int:
    return sshd.log.read_text().count("Accepted publickey")


# --- connecting ------------------------------------------------------------------------------------


def test_query_through_tunnel_with_verified_host_key(sshd: SshdServer, db_name: str) -> None:
    env = sshd.env(DB_HOST=MYSQL_HOST, DB_PORT=str(MYSQL_PORT), DB_USER=MYSQL_USER, DB_PASSWORD=MYSQL_PASSWORD,
                   DB_NAME=db_name)
    db = Database.from_env(env)
    assert db.tunnel_settings is not None and db.tunnel_settings.port == sshd.port

    rows = db.query("SELECT 1 AS one, @@port AS port, DATABASE() AS db")

    assert rows == [{"one": 1, "port": MYSQL_PORT, "db": db_name}]
    tunnel = shared_tunnel(db.tunnel_settings)
    assert tunnel.is_healthy()
    assert tunnel.local_port not in (MYSQL_PORT, sshd.port)
    assert _logins(sshd) >= 1, "the query did not go through the test sshd"
    assert "via ssh" in db.describe()


def test_migrate_runs_through_tunnel(sshd: SshdServer) -> None:
    from resources.migrations import migrate

    name = f"ts_tunnel_{secrets.token_hex(4)}"
    db = _tunneled_db(sshd, name)
    try:
        applied = migrate(db, log=lambda _line: None)
        assert applied, "no migration was applied to a new database"
        versions = [r["version"] for r in db.query("SELECT version FROM schema_migrations ORDER BY version")]
        assert len(versions) == len(applied)
        assert migrate(db, log=lambda _line: None) == []
        assert shared_tunnel(db.tunnel_settings).starts == 1  # type: ignore[arg-type]
    finally:
        conn = _root_connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cur.execute(f"DROP DATABASE IF EXISTS `{name}_analyst`")  # every migrate derives it
        finally:
            conn.close()


# --- host keys --------------------------------------------------------------------------------------


def test_wrong_known_hosts_entry_is_refused_naming_host_key_mismatch(sshd: SshdServer, db_name: str) -> None:
    db = _tunneled_db(sshd, db_name, known_hosts=sshd.wrong_known_hosts)
    started = time.monotonic()

    with pytest.raises(HostKeyError) as caught:
        db.query("SELECT 1")

    message = str(caught.value)
    assert time.monotonic() - started < PROMPT_S
    assert f"127.0.0.1:{sshd.port}" in message
    assert str(sshd.wrong_known_hosts) in message
    assert "CHANGED" in message and "mismatch" in message
    assert _fingerprint_in(sshd.known_hosts) in message, "the fingerprint the server offered is missing"
    assert _fingerprint_in(sshd.wrong_known_hosts) in message, "the fingerprint known_hosts expects is missing"
    assert _logins(sshd) == 0, "logged in to a server whose host key did not match"


def test_pinned_host_key_refuses_a_changed_key_even_without_the_preflight(
    sshd: SshdServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key pinned in sshtunnel is the second line of defence: skip our preflight, still refused."""
    wrong_key = next(iter(known_host_keys(sshd.tunnel_settings(known_hosts=sshd.wrong_known_hosts)).values()))
    monkeypatch.setattr(SshTunnel, "_preflight", lambda self, pkey: wrong_key)
    tunnel = SshTunnel(sshd.tunnel_settings())
    started = time.monotonic()

    with pytest.raises(HostKeyError, match="mismatch"):
        tunnel.start()

    assert time.monotonic() - started < PROMPT_S, "a failed start must not hang (sshtunnel's stop() would)"
    assert not tunnel.is_healthy()
    assert _logins(sshd) == 0
    tunnel.close()


def test_host_missing_from_known_hosts_is_refused_as_unknown(sshd: SshdServer, db_name: str, tmp_path: Path) -> None:
    db = _tunneled_db(sshd, db_name, known_hosts=sshd.unknown_known_hosts)

    with pytest.raises(HostKeyError) as caught:
        db.query("SELECT 1")

    message = str(caught.value)
    assert "unknown" in message
    assert f"[127.0.0.1]:{sshd.port}" in message
    assert str(sshd.unknown_known_hosts) in message
    assert "never accepted automatically" in message
    assert sshd.unknown_known_hosts.read_text().count("\n") == 2, "known_hosts must not be written to"

    missing = tmp_path / "no_such_known_hosts"
    with pytest.raises(HostKeyError, match="unknown.*does not exist"):
        SshTunnel(sshd.tunnel_settings(known_hosts=missing)).start()
    assert not missing.exists()
    assert _logins(sshd) == 0


# --- failures ---------------------------------------------------------------------------------------


def test_killed_tunnel_reconnects_once_then_fails_clearly(sshd: SshdServer, db_name: str) -> None:
    db = _tunneled_db(sshd, db_name)
    assert db.query("SELECT 1 AS one") == [{"one": 1}]
    tunnel = shared_tunnel(db.tunnel_settings)  # type: ignore[arg-type]
    calls = 0

    def work_across_a_crash(conn: pymysql.connections.Connection) -> int:
        nonlocal calls
        calls += 1
        with conn.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            if calls == 1:
                sshd.kill()  # mid-session: the listener and the session process die
                sshd.start()
            cur.execute("SELECT 2")
            return int(cur.fetchone()[0])

    assert db.run(work_across_a_crash) == 2
    assert calls == 2, "the work should have run once more after one reconnect"
    assert tunnel.starts == 2
    assert tunnel.is_healthy()
    assert db.query("SELECT 3 AS three") == [{"three": 3}]

    # sshd killed between two queries, and back before the next one: reconnects on that query.
    sshd.kill()
    sshd.start()
    assert db.query("SELECT 4 AS four") == [{"four": 4}]
    assert tunnel.starts == 3
    assert tunnel.is_healthy()

    # sshd down for good: a clear DatabaseUnavailable, promptly.
    def work_while_sshd_dies(conn: pymysql.connections.Connection) -> None:
        sshd.kill()
        with conn.cursor() as cur:
            cur.execute("SELECT 5")

    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as mid_session:
        db.run(work_while_sshd_dies)
    assert time.monotonic() - started < PROMPT_S
    message = str(mid_session.value)
    assert db.describe() in message
    assert f"127.0.0.1:{sshd.port}" in message and "unreachable" in message

    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as between_queries:
        db.query("SELECT 6")
    assert time.monotonic() - started < PROMPT_S
    message = str(between_queries.value)
    assert "reconnected once" in message and "SSH" in message and f"127.0.0.1:{sshd.port}" in message

    # And it recovers by itself once sshd is back.
    sshd.start()
    assert db.query("SELECT 7 AS seven") == [{"seven": 7}]


def test_stalled_tunnel_times_out_and_reopens_instead_of_hanging(
    sshd: SshdServer, db_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tunnel_module, "RESTART_DEBOUNCE_S", 0.0)
    tunnel_settings = sshd.tunnel_settings(remote_host=MYSQL_HOST, remote_port=MYSQL_PORT)
    db = Database(replace(_db_settings(db_name), read_timeout=2), tunnel_settings)
    assert db.query("SELECT 1 AS one") == [{"one": 1}]
    tunnel = shared_tunnel(tunnel_settings)
    stalled = sshd.stall_sessions()
    assert stalled
    try:
        started = time.monotonic()
        assert db.query("SELECT 2 AS two") == [{"two": 2}]
        # One read timeout (2 s), then a new SSH session: sshd's listener still answers.
        assert time.monotonic() - started < 2 + PROMPT_S
        assert tunnel.starts == 2
    finally:
        sshd.resume(stalled)


def test_tunnel_is_reused_within_a_process(sshd: SshdServer, db_name: str) -> None:
    first = _tunneled_db(sshd, db_name)
    second = _tunneled_db(sshd, db_name)  # equal settings, another Database object
    assert first.query("SELECT 1 AS one") == [{"one": 1}]
    assert second.query("SELECT 1 AS one") == [{"one": 1}]

    tunnel = shared_tunnel(first.tunnel_settings)  # type: ignore[arg-type]
    assert shared_tunnel(second.tunnel_settings) is tunnel  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def query_many() -> None:
        try:
            for _ in range(5):
                assert first.query("SELECT CONNECTION_ID() AS id")[0]["id"] > 0
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=query_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert tunnel.starts == 1
    logins = _logins(sshd)

    close_shared_tunnels()
    assert not tunnel.is_healthy()
    assert first.query("SELECT 1 AS one") == [{"one": 1}]
    assert shared_tunnel(first.tunnel_settings) is not tunnel  # type: ignore[arg-type]
    assert _logins(sshd) > logins


# --- keys and secrets -------------------------------------------------------------------------------


def test_passphrase_protected_key_works(sshd: SshdServer, db_name: str) -> None:
    db = _tunneled_db(sshd, db_name, protected_key=True)
    assert db.query("SELECT 1 AS one") == [{"one": 1}]

    with pytest.raises(TunnelError, match="encrypted.*SSH_PRIVATE_KEY_PASSPHRASE"):
        SshTunnel(sshd.tunnel_settings(protected_key=True, passphrase="")).start()
    with pytest.raises(TunnelError, match="could not be decrypted"):
        SshTunnel(sshd.tunnel_settings(protected_key=True, passphrase="not-" + sshd.passphrase)).start()


def _all_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), *current.args.__repr__().split("\n")]
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


EXPECTED_REASON = {
    "wrong passphrase": r"could not be decrypted with the configured passphrase",
    "host key mismatch": r"host key of .* has CHANGED \(mismatch\)",
    "unknown host": r"host key of .* is unknown: no entry for",
    "key not authorized": r"refused login as .* Authentication failed",
}


def test_error_messages_contain_no_secret(
    sshd: SshdServer, db_name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = sshd.passphrase
    key_body = "".join(sshd.client_key_protected.read_text().splitlines()[1:-1])
    stranger_key = tmp_path / "id_stranger"
    _keygen(stranger_key, passphrase=secret)  # same passphrase, but not in authorized_keys

    attempts: list[tuple[str, TunnelSettings]] = [
        ("wrong passphrase", sshd.tunnel_settings(protected_key=True, passphrase=secret + "x")),
        ("host key mismatch", sshd.tunnel_settings(protected_key=True, known_hosts=sshd.wrong_known_hosts)),
        ("unknown host", sshd.tunnel_settings(protected_key=True, known_hosts=sshd.unknown_known_hosts)),
    ]
    stranger = sshd.tunnel_settings(protected_key=True)
    attempts.append(("key not authorized", TunnelSettings(**{**stranger.__dict__,
                                                             "private_key_path": str(stranger_key)})))
    texts: list[str] = []
    for label, settings in attempts:
        tunnel = SshTunnel(settings)
        texts.append(repr(tunnel))
        with pytest.raises(TunnelError) as caught:
            tunnel.start()
        texts.append(_all_text(caught.value))
        # Each refusal says what went wrong, in words an operator can act on.
        assert re.search(EXPECTED_REASON[label], str(caught.value)), (label, str(caught.value))
    assert "refused login" in texts[-1]

    db = _tunneled_db(sshd, db_name, protected_key=True)
    assert db.query("SELECT 1 AS one") == [{"one": 1}]
    texts += [repr(db.tunnel_settings), db.describe(), repr(shared_tunnel(db.tunnel_settings))]  # type: ignore[arg-type]
    sshd.kill()
    with pytest.raises(DatabaseUnavailable) as down:
        db.query("SELECT 1")
    texts.append(_all_text(down.value))

    everything = "\n".join(texts + [caplog.text])
    assert secret not in everything
    assert key_body[:40] not in everything
