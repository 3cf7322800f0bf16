"""Connections to MySQL: what every one of the many short-lived connections costs."""

from __future__ import annotations

from resources.mysql import Database


def test_connections_without_tls_options_share_one_preferred_tls_context(migrated_db: Database) -> None:
    first, second = migrated_db.connect(), migrated_db.connect()
    try:
        # pymysql would load the system CA store again (~19 ms) for each; the server may still offer TLS.
        assert first.ctx is second.ctx and first.ctx is not None
        with second.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        first.close()
        second.close()

