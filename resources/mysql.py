"""MySQL/MariaDB access over pymysql, directly or through the SSH tunnel.

`Database` is plain Python (used by the CLI, tests and benchmarks); `MySQLResource` is the
Dagster resource that builds one from `DB_*` / `SSH_*` settings.
"""

from __future__ import annotations

import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pymysql
import pymysql.cursors
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from resources.config import DbSettings, TunnelSettings, db_settings_from_env, tunnel_settings_from_env
from resources.mysql_pool import ConnectionPool, PoolRegistry
from resources.sql import load_sql

T = TypeVar("T")
# The protocol's COM_RESET_CONNECTION (MySQL 5.7+, MariaDB 10.2+); pymysql names the command byte COM_END.
RESET_CONNECTION = 0x1F
POOLS = PoolRegistry()


class _Connection(pymysql.connections.Connection):
    """pymysql 1.2 builds a new TLS context for every connection given no TLS option (its PREFERRED
    mode: encrypt if the server offers it); loading the system CA store costs ~19 ms a connection,
    more than most statements. One context, built the same way, serves every such connection."""

    _preferred: ssl.SSLContext | None = None
    _preferred_lock = threading.Lock()

    def _create_ssl_ctx(self, sslp: Any) -> ssl.SSLContext:
        if sslp != {}:
            return super()._create_ssl_ctx(sslp)
        with _Connection._preferred_lock:
            if _Connection._preferred is None:
                _Connection._preferred = super()._create_ssl_ctx({})
            return _Connection._preferred

    # Set while leased from a pool: close() hands the connection back instead of ending it.
    pool: ConnectionPool | None = None

    def reset_session(self) -> None:
        """Back to a new connection's state: no transaction, no named lock, no temporary table, no variable."""
        self._execute_command(RESET_CONNECTION, b"")
        self._read_ok_packet()
        with self.cursor() as cur:
            cur.execute(load_sql("connection/after_reset.sql").format(
                charset=self.charset, autocommit=int(bool(self.autocommit_mode))))

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None and pool.give_back(self):
            return
        super().close()

    def close_for_good(self) -> None:
        self.pool = None
        try:
            super().close()
        except Exception:  # noqa: BLE001 - an idle connection the server already dropped
            pass


def connection_counts() -> tuple[int, int]:
    """(connections opened, idle connections reused) by this process so far, over every pool."""
    pools = POOLS.pools()
    return sum(p.opened for p in pools), sum(p.reused for p in pools)


# 2003: can't connect, 2006: server has gone away, 2013: lost connection during query.
CONNECTION_LOST_CODES = {2003, 2006, 2013}
ACCESS_DENIED_CODES = {1044, 1045, 1698}
# 1213: deadlock (InnoDB rolled the transaction back), 1205: lock wait timeout.
LOCK_CONFLICT_CODES = {1213, 1205}
LOCK_CONFLICT_ATTEMPTS = 5


def is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and exc.args[0] in LOCK_CONFLICT_CODES


def lock_conflict_pause(attempt: int) -> None:
    """Back off before re-running a transaction another one deadlocked with."""
    time.sleep(0.05 * (3 ** attempt) * (0.5 + random.random()))


class DatabaseUnavailable(RuntimeError):
    """MySQL could not be reached (after the one reconnect we allow)."""


def is_connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and exc.args[0] in CONNECTION_LOST_CODES


class Database:
    """Connections to one MySQL database, through one SSH tunnel per process when configured."""

    def __init__(self, settings: DbSettings, tunnel: TunnelSettings | None = None) -> None:
        self.settings = settings
        self.tunnel_settings = tunnel

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Database:
        env = dict(os.environ) if env is None else env
        return cls(db_settings_from_env(env), tunnel_settings_from_env(env))

    @property
    def name(self) -> str:
        return self.settings.name

    def describe(self) -> str:
        """Where we connect, without any secret."""
        s = self.settings
        where = f"{s.user}@{s.host}:{s.port}/{s.name}"
        if self.tunnel_settings:
            t = self.tunnel_settings
            where += f" via ssh {t.user}@{t.host}:{t.port}"
        return where

    def _endpoint(self) -> tuple[str, int]:
        if self.tunnel_settings is None:
            return self.settings.host, self.settings.port
        from resources.tunnel import HostKeyError, TunnelError, shared_tunnel

        try:
            return "127.0.0.1", shared_tunnel(self.tunnel_settings).local_port
        except HostKeyError:
            raise
        except TunnelError as exc:
            # Reported as "can't connect" (2003) so the one-reconnect rule and DatabaseUnavailable apply.
            raise pymysql.err.OperationalError(2003, f"SSH tunnel unavailable: {exc}") from exc

    def _pool_key(self, with_database: bool) -> tuple[object, ...]:
        return (self.settings, self.tunnel_settings, with_database)

    def close_idle_connections(self) -> int:
        """Close this database's idle pooled connections (at the end of a run, or when they may be dead)."""
        closed = 0
        for with_database in (True, False):
            pool = POOLS.get(self._pool_key(with_database))
            if pool is not None:
                closed += pool.close_idle()
        return closed

    def _restart_tunnel(self) -> None:
        # Every idle connection went through the old tunnel, or to a server that just dropped one of ours.
        self.close_idle_connections()
        if self.tunnel_settings is None:
            return
        from resources.tunnel import HostKeyError, TunnelError, shared_tunnel

        try:
            shared_tunnel(self.tunnel_settings).restart()
        except HostKeyError:
            raise
        except TunnelError as exc:
            raise pymysql.err.OperationalError(2003, f"SSH tunnel unavailable: {exc}") from exc

    def _connect_once(self, with_database: bool, **overrides: Any) -> pymysql.connections.Connection:
        s = self.settings
        host, port = self._endpoint()
        kwargs: dict[str, Any] = dict(
            host=host,
            port=port,
            user=s.user,
            password=s.password,
            charset="utf8mb4",
            autocommit=False,
            local_infile=True,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            write_timeout=s.write_timeout,
            init_command=load_sql("connection/time_zone.sql").strip(),
        )
        if with_database:
            kwargs["database"] = s.name
        if s.ssl_ca:
            kwargs["ssl"] = {"ca": s.ssl_ca}
            kwargs["ssl_verify_cert"] = s.ssl_verify
        kwargs.update(overrides)
        return _Connection(**kwargs)

    def _with_one_reconnect(self, attempt: Callable[[], T], failing: str,
                            also_lost: tuple[type[BaseException], ...] = ()) -> T:
        """`attempt()`; if the connection is lost, restart the tunnel and try once more, then fail clearly.

        `also_lost` names further errors that mean "still unreachable" on the second try (a tunnel
        that cannot reopen); a host-key refusal is never one of them.
        """
        try:
            return attempt()
        except pymysql.err.OperationalError as exc:
            if not is_connection_lost(exc):
                raise
            first = exc
        from resources.tunnel import HostKeyError

        try:
            self._restart_tunnel()
            return attempt()
        except HostKeyError:
            raise
        except pymysql.err.OperationalError as exc:
            if not is_connection_lost(exc):
                raise
            second: BaseException = exc
        except also_lost as exc:
            second = exc
        raise DatabaseUnavailable(
            f"MySQL at {self.describe()} {failing}: {first.args[-1] if first.args else first}; "
            f"then: {second.args[-1] if isinstance(second, pymysql.MySQLError) and second.args else second}"
        ) from second

    def connect(self, with_database: bool = True, **overrides: Any) -> pymysql.connections.Connection:
        """A connection of the process's pool (its close() hands it back, reset), or with `overrides` a new one
        of its own; a lost tunnel or server is re-established once, then a clear error."""
        if overrides:
            return self._with_one_reconnect(
                lambda: self._connect_once(with_database, **overrides),
                "is unreachable (reconnected once, still failing)", also_lost=(OSError, RuntimeError),
            )
        pool = POOLS.pool(self._pool_key(with_database), lambda: self._connect_once(with_database))

        def lease() -> pymysql.connections.Connection:
            conn = pool.take()
            conn.pool = pool  # type: ignore[attr-defined]
            return conn  # type: ignore[return-value]

        return self._with_one_reconnect(lease, "is unreachable (reconnected once, still failing)",
                                        also_lost=(OSError, RuntimeError))

    @contextmanager
    def connection(self, with_database: bool = True, **overrides: Any) -> Iterator[pymysql.connections.Connection]:
        conn = self.connect(with_database, **overrides)
        try:
            yield conn
        finally:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection must not mask the real error
                pass

    def run(self, work: Callable[[pymysql.connections.Connection], T], with_database: bool = True) -> T:
        """Run `work` in a fresh connection; if the connection is lost, reconnect once and run it again.

        `work` must be safe to repeat (it runs in its own transaction and commits at its end).
        """

        def attempt() -> T:
            with self.connection(with_database) as conn:
                return work(conn)

        # Concurrent runs of different companies write the same tables; InnoDB may pick one of them
        # as a deadlock victim, and the whole (repeatable) transaction is simply run again.
        for conflict in range(LOCK_CONFLICT_ATTEMPTS):
            try:
                return self._with_one_reconnect(attempt, "lost the connection twice")
            except pymysql.err.OperationalError as exc:
                if not is_lock_conflict(exc) or conflict == LOCK_CONFLICT_ATTEMPTS - 1:
                    raise
                lock_conflict_pause(conflict)
        raise AssertionError("unreachable")

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        def work(conn: pymysql.connections.Connection) -> list[dict[str, Any]]:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(sql, params)
                rows = list(cur.fetchall())
            conn.commit()
            return rows

        return self.run(work)

    def execute(self, sql: str, params: Any = None) -> int:
        def work(conn: pymysql.connections.Connection) -> int:
            with conn.cursor() as cur:
                affected = cur.execute(sql, params)
            conn.commit()
            return affected

        return self.run(work)


class MySQLResource(ConfigurableResource):
    """Dagster resource over `Database`. Configure with EnvVar so secrets never render in the UI."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    database: str = "timesync"
    ssl_ca: str = ""
    use_ssh_tunnel: bool = False
    ssh_host: str = ""
    ssh_port: int = 22
    ssh_user: str = ""
    ssh_private_key_path: str = ""
    ssh_private_key_passphrase: str = ""
    ssh_known_hosts: str = ""

    _db: Database | None = PrivateAttr(default=None)

    def get_database(self) -> Database:
        if self._db is None:
            settings = DbSettings(
                host=self.host, port=self.port, user=self.user, password=self.password,
                name=self.database, ssl_ca=self.ssl_ca or None,
            )
            tunnel = None
            if self.use_ssh_tunnel:
                tunnel = TunnelSettings(
                    host=self.ssh_host, port=self.ssh_port, user=self.ssh_user,
                    private_key_path=self.ssh_private_key_path,
                    private_key_passphrase=self.ssh_private_key_passphrase or None,
                    known_hosts=self.ssh_known_hosts or os.path.expanduser("~/.ssh/known_hosts"),
                    remote_host=self.host, remote_port=self.port,
                )
            self._db = Database(settings, tunnel)
        return self._db

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        # The run (or, out of process, the step) is over: its pooled connections end with it.
        if self._db is not None:
            self._db.close_idle_connections()
