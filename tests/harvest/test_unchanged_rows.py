"""Re-listing a window writes only what changed: unchanged rows are skipped yet still count as seen."""

from __future__ import annotations

from datetime import timedelta

from pipelines.assets.harvest import harvest_vendor
from resources.mysql import Database
from tests.harvest.test_changes import entries_between
from tests.sim_sync import FAST_RATE_LIMIT, company_id, company_of, simulators, staged, sync, sync_log_rows

VENDOR = harvest_vendor(FAST_RATE_LIMIT)
TABLE = "staging_harvest_time_entries"


def stamps(db: Database, company: object) -> dict[int, tuple[int, object, object]]:
    return {r["id"]: (r["sync_log_id"], r["staged_at"], r["deleted_at"])
            for r in staged(db, TABLE, company, "id, sync_log_id, staged_at, deleted_at")}


def test_relisting_a_window_rewrites_only_changed_rows_and_sweeps_only_vanished_ones(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        anchor = stack.world().anchor
        window = (anchor - timedelta(days=60), anchor - timedelta(days=31))
        first = sync(migrated_db, company, VENDOR, "time_entries", window=window)
        listed = entries_between(stack, *window)
        assert first.run.counts.records_processed == len(listed) > 20
        updated_id, deleted_id = listed[5], listed[9]
        server = stack.servers["harvest"]
        server.mutate(resource="time_entries", op="update", id=updated_id, fields={"hours": 6.25})
        server.mutate(resource="time_entries", op="delete", id=deleted_id)
        before = stamps(migrated_db, company)

        second = sync(migrated_db, company, VENDOR, "time_entries", window=window)

        after = stamps(migrated_db, company)
        run_id = second.run.id
        assert after[updated_id][0] == run_id and after[updated_id][2] is None
        assert after[deleted_id][0] == run_id and after[deleted_id][2] is not None
        untouched = set(listed) - {updated_id, deleted_id}
        assert all(after[i] == before[i] for i in untouched)  # same sync_log_id, staged_at, still live
        log = sync_log_rows(migrated_db, company, "time_entries")[-1]
        assert (log["records_processed"], log["unchanged_count"], log["deleted_count"]) == (
            len(listed) - 1, len(untouched), 1)
        assert float(staged(migrated_db, TABLE, company, "hours", f"id = {updated_id}")[0]["hours"]) == 6.25


def test_rows_staged_more_than_half_the_retention_ago_are_rewritten_so_they_never_expire(
        migrated_db: Database, monkeypatch: object) -> None:
    monkeypatch.setenv("TIMESYNC_STAGING_RETENTION_DAYS", "10")  # type: ignore[attr-defined]
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        anchor = stack.world().anchor
        window = (anchor - timedelta(days=30), anchor - timedelta(days=16))
        sync(migrated_db, company, VENDOR, "time_entries", window=window)
        listed = entries_between(stack, *window)
        old, recent = listed[:3], listed[3:6]
        for ids, days in ((old, 6), (recent, 4)):  # refresh after 5 days
            migrated_db.execute(
                f"UPDATE {TABLE} SET staged_at = NOW(6) - INTERVAL %s DAY WHERE company_id = %s AND id IN %s",
                (days, company_id(migrated_db, company), tuple(ids)))

        again = sync(migrated_db, company, VENDOR, "time_entries", window=window)

        after = stamps(migrated_db, company)
        assert all(after[i][0] == again.run.id for i in old)
        assert all(after[i][0] != again.run.id for i in recent)
        assert again.run.counts.unchanged == len(listed) - len(old)


def test_a_malformed_version_of_a_staged_entry_is_quarantined_and_the_staged_row_is_not_swept(
        migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        anchor = stack.world().anchor
        window = (anchor - timedelta(days=45), anchor - timedelta(days=31))
        sync(migrated_db, company, VENDOR, "time_entries", window=window)
        broken_id = entries_between(stack, *window)[2]
        stack.servers["harvest"].mutate(resource="time_entries", op="update", id=broken_id,
                                        fields={"notes": {"rich": "text"}})

        again = sync(migrated_db, company, VENDOR, "time_entries", window=window)

        assert (again.run.counts.quarantined, again.run.counts.deleted) == (1, 0)
        [row] = staged(migrated_db, TABLE, company, "id, notes, deleted_at", f"id = {broken_id}")
        assert row["deleted_at"] is None and row["notes"] != {"rich": "text"}
