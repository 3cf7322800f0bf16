"""The staging writer: the same rows through LOAD DATA LOCAL or without it; known rows of a complete listing."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from pipelines.assets.factory import COLLECT_EVERY_PAGES, stage_listing
from pipelines.assets.harvest import harvest_vendor
from resources import staging_known
from resources.locks import ensure_company
from resources.mysql import Database
from resources.staging import StagingWriter
from resources.staging_known import Scope, load_known_rows
from resources.sync_log import SyncLogs

TABLE = next(s.table for s in harvest_vendor().streams if s.name == "time_entries")
AWKWARD = "tab\there, newline\nthere, back\\slash, \\N literal, NUL \x00, emoji 🚀, 'quote' %s"


def entry(i: int, notes: str | None) -> dict[str, Any]:
    return {"id": 10 + i, "spent_date": "2026-01-05", "user": {"id": 7}, "project": {"id": 8},
            "task": {"id": 9}, "hours": 1.25 + i, "notes": notes, "billable": i % 2 == 0, "is_running": False,
            "billable_rate": None, "updated_at": "2026-01-05T10:00:00Z", "created_at": "2026-01-05T09:00:00Z"}


def staged_rows(db: Database, company_id: int) -> list[dict[str, Any]]:
    return db.query("SELECT id, spent_date, user_id, hours, notes, billable, billable_rate, source_updated_at, "
                    "HEX(row_hash) AS h, raw_json FROM staging_harvest_time_entries WHERE company_id = %s "
                    "ORDER BY id", (company_id,))


def test_rows_are_identical_through_load_data_and_through_the_fallback_for_servers_refusing_it(
        migrated_db: Database) -> None:
    records = [entry(i, notes) for i, notes in enumerate([AWKWARD, None, "", "plain"])]
    loaded, fallback = ensure_company(migrated_db, "loaded", "L"), ensure_company(migrated_db, "fallback", "F")
    with StagingWriter(migrated_db, TABLE, loaded, 1) as writer:
        writer.add(records)
    refusing = StagingWriter(migrated_db, TABLE, fallback, 1)
    # A client without the LOCAL INFILE capability is refused by the server (MariaDB 4166, MySQL 1148/3948).
    refusing._connect = lambda: migrated_db.connect(local_infile=False)
    with refusing:
        refusing.add(records)

    assert refusing._local_infile is False
    assert staged_rows(migrated_db, fallback) == staged_rows(migrated_db, loaded)
    assert staged_rows(migrated_db, loaded)[0]["notes"] == AWKWARD
    assert refusing.result.rows_written == len(records)


def test_a_record_listed_twice_lands_as_its_later_version_although_batches_load_in_parallel(
        migrated_db: Database) -> None:
    company = ensure_company(migrated_db, "twice", "T")
    versions = [entry(i, f"version {v}") for v in range(6) for i in range(3)]  # 6 batches of the same 3 ids
    with StagingWriter(migrated_db, TABLE, company, 1, batch_rows=3) as writer:
        writer.add(versions)

    assert [r["notes"] for r in staged_rows(migrated_db, company)] == ["version 5"] * 3
    assert writer.result.rows_written == len(versions)


def test_known_rows_of_a_complete_listing_cover_any_bigint_key_and_skip_exactly_the_unchanged_records(
        migrated_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging_known, "CHUNK_ROWS", 4)  # two chunks: the second starts after the first's last key
    company = ensure_company(migrated_db, "known", "K")
    ids = [1 - 2**63, -5, 0, 7, 2**62, 2**63 - 1]  # the hex transfer is two's complement, big-endian
    records = [entry(0, f"entry {i}") | {"id": i} for i in ids]
    with StagingWriter(migrated_db, TABLE, company, 1) as writer:
        writer.add(records)

    known = load_known_rows(migrated_db, TABLE, company, Scope())
    assert len(known) == len(ids)
    changed = records[1] | {"notes": "edited"}
    relisted = [records[0], changed, *records[3:]]  # ids[2] is not returned
    with StagingWriter(migrated_db, TABLE, company, 2, known=known) as writer:
        writer.add(relisted)

    assert (writer.result.unchanged, writer.result.rows_written) == (len(ids) - 2, 1)
    assert known.unseen() == [0]
    rows = {r["id"]: r["notes"] for r in staged_rows(migrated_db, company)}
    assert rows == {i: "edited" if i == -5 else f"entry {i}" for i in ids}


def test_known_rows_of_a_window_are_exactly_its_entries_read_through_the_known_index(
        migrated_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging_known, "CHUNK_ROWS", 3)  # several chunks, each resuming after the last key
    company = ensure_company(migrated_db, "window", "W")
    days = ["2026-01-31", "2026-02-01", "2026-02-14", "2026-02-28", "2026-03-01"]
    records = [entry(i, f"day {i}") | {"spent_date": days[i % len(days)]} for i in range(20)]
    with StagingWriter(migrated_db, TABLE, company, 1) as writer:
        writer.add(records)

    february = Scope((date(2026, 2, 1), date(2026, 2, 28)))
    known = load_known_rows(migrated_db, TABLE, company, february)
    in_february = [r for r in records if r["spent_date"].startswith("2026-02")]
    assert len(known) == len(in_february) == 12
    # A re-list of February: the unchanged entries are skipped, the one it no longer returns is swept.
    with StagingWriter(migrated_db, TABLE, company, 2, known=known) as writer:
        writer.add(in_february[1:])
    assert (writer.result.unchanged, writer.result.rows_written) == (11, 0)
    assert known.unseen() == [in_february[0]["id"]]
    plan = migrated_db.query("EXPLAIN " + staging_known.known_rows_sql(TABLE, february),
                             {"company_id": company, "after": None, "chunk": 3, "stale_before": None,
                              "window_start": date(2026, 2, 1), "window_end": date(2026, 2, 28)})
    assert {row["key"] for row in plan if row["table"] == "staging_harvest_time_entries"} == {TABLE.known_index}


class _Exchange:
    """Stands for an HTTP exchange whose objects refer to each other (freed only by the collector)."""

    def __init__(self) -> None:
        self.me = self
        self.body = bytes(1000)


def test_a_listing_pauses_the_collector_yet_reference_cycles_of_its_pages_do_not_pile_up(
        migrated_db: Database) -> None:
    company = ensure_company(migrated_db, "cycles", "C")
    exchanges: list[weakref.ref[_Exchange]] = []
    alive_during: list[int] = []

    def pages() -> Iterator[list[dict[str, Any]]]:
        for p in range(60):
            exchange = _Exchange()
            exchanges.append(weakref.ref(exchange))
            alive_during.append(sum(ref() is not None for ref in exchanges))
            del exchange
            yield [entry(p * 10 + i, f"page {p}") for i in range(10)]

    with SyncLogs(migrated_db).tracked(company_id=company, system_name="harvest", stream="time_entries",
                                       sync_type="full") as run:
        stage_listing(migrated_db, TABLE, company, run, pages(), Scope(), sweep=True)

    assert run.counts.records_processed == 600
    assert max(alive_during) <= 2 * COLLECT_EVERY_PAGES + 1, alive_during
