"""MySQL named locks: two runs of one stream for one connection never interleave."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from resources.mysql import Database


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
    """Hold GET_LOCK(name) on a dedicated connection for the duration of the block."""
    conn = db.connect(read_timeout=timeout_seconds + 30)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (name, timeout_seconds))
            if cur.fetchone()[0] != 1:
                raise LockBusy(f"lock {name!r} is held by another run (waited {timeout_seconds}s)")
        try:
            yield
        finally:
            with conn.cursor() as cur:
                cur.execute("SELECT RELEASE_LOCK(%s)", (name,))
    finally:
        conn.close()


def ensure_company(db: Database, key: str, name: str) -> int:
    """The companies.id of a company key, creating the row on first use."""
    from resources.sql import load_sql

    def work(conn):  # type: ignore[no-untyped-def]
        with conn.cursor() as cur:
            cur.execute(load_sql("staging/ensure_company.sql"), (key, name))
            company_id = cur.lastrowid
        conn.commit()
        return int(company_id)

    return db.run(work)
