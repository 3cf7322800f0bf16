"""Pooled MySQL connections: reused within a process, and handed on only in a new connection's state."""

from __future__ import annotations

import threading

import pymysql
import pytest

from resources.locks import LockBusy, named_lock
from resources.mysql import Database, connection_counts
from tests.conftest import root_connection


def connection_id(conn: pymysql.connections.Connection) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID()")
        return int(cur.fetchone()[0])


def one(conn: pymysql.connections.Connection, sql: str) -> object:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A database of its own holding one table (no migrations needed); no idle connection to start with."""
    root = root_connection()
    try:
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{empty_db.name}`")
    finally:
        root.close()
    empty_db.execute("CREATE TABLE pool_probe (id INT PRIMARY KEY)")
    empty_db.close_idle_connections()
    return empty_db


def test_a_connection_handed_back_is_reused_in_a_new_connections_state(db: Database) -> None:
    conn = db.connect()
    first = connection_id(conn)
    with conn.cursor() as cur:
        assert cur.execute("SELECT GET_LOCK('pool_probe_lock', 0)") == 1
        cur.execute("SET @left_behind = 1")
        cur.execute("SET SESSION group_concat_max_len = 999999, time_zone = '+05:00'")
        cur.execute("CREATE TEMPORARY TABLE left_behind (x INT)")
        cur.execute("INSERT INTO pool_probe VALUES (1)")  # never committed
    conn.close()
    opened_before, reused_before = connection_counts()
    again = db.connect()
    try:
        assert connection_id(again) == first  # the same server session, not a new login
        assert connection_counts() == (opened_before, reused_before + 1)
        assert one(again, "SELECT IS_USED_LOCK('pool_probe_lock')") is None
        assert one(again, "SELECT @left_behind") is None
        assert one(again, "SELECT @@session.group_concat_max_len") == one(again, "SELECT @@global.group_concat_max_len")
        assert one(again, "SELECT @@session.time_zone") == "+00:00"
        assert one(again, "SELECT @@session.autocommit") == 0
        assert one(again, "SELECT @@session.character_set_client") == "utf8mb4"
        with pytest.raises(pymysql.err.ProgrammingError) as gone:
            one(again, "SELECT COUNT(*) FROM left_behind")
        assert gone.value.args[0] == 1146  # the temporary table went with the old session
        assert one(again, "SELECT COUNT(*) FROM pool_probe") == 0
    finally:
        again.close()


def test_a_held_lock_is_never_handed_to_someone_else(db: Database) -> None:
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with named_lock(db, "pool_probe_held", timeout_seconds=5):
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert entered.wait(30)
        # While the holder's connection is out, everyone else gets another one and meets the lock.
        for _ in range(3):
            with db.connection() as conn:
                assert one(conn, "SELECT GET_LOCK('pool_probe_held', 0)") == 0
        with pytest.raises(LockBusy):
            with named_lock(db, "pool_probe_held", timeout_seconds=1):
                pass
    finally:
        release.set()
        thread.join(30)
    with db.connection() as conn:
        assert one(conn, "SELECT IS_USED_LOCK('pool_probe_held')") is None


def test_an_idle_connection_the_server_dropped_is_replaced(db: Database) -> None:
    with db.connection() as conn:
        dropped = connection_id(conn)
    root = root_connection()
    try:
        with root.cursor() as cur:
            cur.execute("KILL %s", (dropped,))
    finally:
        root.close()
    with db.connection() as conn:
        assert connection_id(conn) != dropped
        assert one(conn, "SELECT 1") == 1


def test_connections_with_their_own_settings_are_never_pooled(db: Database) -> None:
    conn = db.connect(read_timeout=5)
    conn.close()
    assert not conn.open
    with db.connection() as pooled:
        pass
    assert pooled.open  # kept for reuse
    assert db.close_idle_connections() >= 1
    assert not pooled.open
