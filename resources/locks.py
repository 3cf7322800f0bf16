"""MySQL named locks: two runs of one stream for one connection never interleave."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from resources.mysql import Database
from resources.sql import load_sql

LOCK_WAIT_SLICE_SECONDS = 20


class LockBusy(RuntimeError):
    pass


def lock_name(*parts: object) -> str:
    name = "ts:" + ":".join(str(p) for p in parts)
    # MySQL caps lock names at 64 characters (MariaDB allows 192).
    if len(name) > 64:
        name = name[:47] + ":" + hashlib.md5(name.encode()).hexdigest()[:16]
    return name


@contextmanager
def named_lock(db: Database, name: str, timeout_seconds: int = 600) -> Iterator[None]:
    """Hold GET_LOCK(name) on a connection of its own for the duration of the block.

    The wait is asked for in slices shorter than the connection's read timeout, so a pooled connection
    (with the usual timeout) can wait as long as needed; handed back, its reset frees the lock even if
    RELEASE_LOCK never ran."""
    conn = db.connect()
    slice_seconds = max(1, min(LOCK_WAIT_SLICE_SECONDS, db.settings.read_timeout // 2))
    try:
        with conn.cursor() as cur:
            deadline = time.monotonic() + timeout_seconds
            while True:
                wait = max(0, min(slice_seconds, math.ceil(deadline - time.monotonic())))
                cur.execute(load_sql("locks/get_lock.sql"), (name, wait))
                if cur.fetchone()[0] == 1:
                    break
                if time.monotonic() >= deadline:
                    raise LockBusy(f"lock {name!r} is held by another run (waited {timeout_seconds}s)")
        try:
            yield
        finally:
            with conn.cursor() as cur:
                cur.execute(load_sql("locks/release_lock.sql"), (name,))
    finally:
        conn.close()


def ensure_company(db: Database, key: str, name: str) -> int:
    """The companies.id of a company key, creating the row on first use."""
    def work(conn):  # type: ignore[no-untyped-def]
        with conn.cursor() as cur:
            cur.execute(load_sql("staging/ensure_company.sql"), (key, name))
            company_id = cur.lastrowid
        conn.commit()
        return int(company_id)

    return db.run(work)
