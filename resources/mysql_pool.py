"""Idle MySQL connections kept for reuse within one process.

Opening a connection costs ~22 ms directly and ~80 ms through the SSH tunnel (a new SSH channel and
forwarding threads per TCP connection), while a statement costs a fraction of a millisecond; a run that
opened one connection per step, sync log, lock and loader spent most of its time connecting. A connection
handed back is reset first (COM_RESET_CONNECTION: rolls back an open transaction, releases named locks,
drops temporary tables, forgets session and user variables), so the next user starts as on a new one —
in particular it never receives a connection holding someone else's lock. One taken out is pinged first:
the server or the tunnel may have dropped it while it sat idle.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Protocol


class PooledConnection(Protocol):
    open: bool

    def reset_session(self) -> None: ...

    def ping(self, reconnect: bool = False) -> None: ...

    def close_for_good(self) -> None: ...


class ConnectionPool:
    """Up to `max_idle` idle connections to one server and database; any number may be out at once."""

    def __init__(self, open_connection: Callable[[], PooledConnection], max_idle: int = 8) -> None:
        self._open = open_connection
        self.max_idle = max_idle
        self._idle: list[PooledConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.opened = 0  # new connections this pool made
        self.reused = 0  # times an idle one was handed out instead

    def _own_process(self) -> None:
        # A forked child must not share its parent's sockets: forget them (closing would end the parent's).
        if os.getpid() != self._pid:
            self._idle, self._pid = [], os.getpid()

    def take(self) -> PooledConnection:
        while True:
            with self._lock:
                self._own_process()
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            try:
                conn.ping()
            except Exception:  # noqa: BLE001 - dropped while idle (server restart, tunnel gone): open another
                conn.close_for_good()
                continue
            with self._lock:
                self.reused += 1
            return conn
        conn = self._open()
        with self._lock:
            self.opened += 1
        return conn

    def give_back(self, conn: PooledConnection) -> bool:
        """Keep `conn` for reuse (reset first); False when the caller should close it instead."""
        if not conn.open:
            return False
        with self._lock:
            self._own_process()
            if len(self._idle) >= self.max_idle:
                return False
        try:
            conn.reset_session()
        except Exception:  # noqa: BLE001 - a connection that cannot be reset is not handed to anyone
            return False
        with self._lock:
            if len(self._idle) >= self.max_idle:
                return False
            self._idle.append(conn)
        return True

    def close_idle(self) -> int:
        """Close every idle connection (the run ended, or they may all be dead); returns how many."""
        with self._lock:
            self._own_process()
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close_for_good()
        return len(idle)

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)


class PoolRegistry:
    """The process's pools, one per (server, database, credentials) key."""

    def __init__(self) -> None:
        self._pools: dict[object, ConnectionPool] = {}
        self._lock = threading.Lock()

    def pool(self, key: object, open_connection: Callable[[], PooledConnection]) -> ConnectionPool:
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                found = self._pools[key] = ConnectionPool(open_connection)
            return found

    def get(self, key: object) -> ConnectionPool | None:
        with self._lock:
            return self._pools.get(key)

    def pools(self) -> list[ConnectionPool]:
        with self._lock:
            return list(self._pools.values())
