"""Creates, updates and hard deletes in Harvest reach staging: incremental runs and window sweeps."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.assets.harvest import harvest_vendor
from resources.mysql import Database
from simulators.stack import SimulatorStack
from tests.sim_sync import FAST_RATE_LIMIT, company_of, live_ids, simulators, staged, sync, sync_log_rows

VENDOR = harvest_vendor(FAST_RATE_LIMIT)
TABLE = "staging_harvest_time_entries"


def entry_fields(stack: SimulatorStack, spent_date: date, **extra: object) -> dict[str, object]:
    """Fields of a new time entry on a real user/project/task of the world."""
    template = stack.world().time_entry(0)
    return {"spent_date": spent_date.isoformat(), "hours": 1.5, "notes": "new entry",
            **{k: template[k] for k in ("user_id", "project_id", "task_id", "task_assignment_id")}, **extra}


def entries_between(stack: SimulatorStack, first: date, last: date) -> list[int]:
    world = stack.world()
    lo, hi = world.entry_dates.index_range(first, last)
    return [world.time_entry(i)["id"] for i in range(lo, hi)]


def test_incremental_run_picks_up_created_and_updated_entries(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        sync(migrated_db, company, VENDOR, "time_entries", mode="full")
        anchor = stack.world().anchor
        updated_id = entries_between(stack, anchor - timedelta(days=60), anchor - timedelta(days=50))[0]
        stack.servers["harvest"].mutate(resource="time_entries", op="update", id=updated_id,
                                        fields={"hours": 7.75, "notes": "corrected"})
        created_id = stack.servers["harvest"].mutate(
            resource="time_entries", op="create", fields=entry_fields(stack, anchor - timedelta(days=3)))["id"]
        stack.servers["harvest"].clear_requests()

        outcome = sync(migrated_db, company, VENDOR, "time_entries", mode="incremental")

        assert outcome.request.mode == "incremental"
        sent = stack.servers["harvest"].requests()
        assert all("updated_since" in r["params"] or r["params"].get("is_running") == "true" for r in sent)
        rows = {r["id"]: r for r in staged(migrated_db, TABLE, company, "id, hours, notes, deleted_at",
                                           f"id IN ({int(updated_id)}, {int(created_id)})")}
        assert (float(rows[updated_id]["hours"]), rows[updated_id]["notes"]) == (7.75, "corrected")
        assert created_id in rows and rows[created_id]["deleted_at"] is None
        # only the changed entries (and the running timer) were read again, not the whole account
        assert outcome.run.counts.records_processed < 20
        assert len(live_ids(migrated_db, TABLE, company)) == stack.truth()["counts"]["harvest"]["time_entries"]
        watermarks = [r["watermark_from"] for r in sync_log_rows(migrated_db, company, "time_entries")]
        assert watermarks[0] is None and watermarks[1] is not None


def test_window_sweep_marks_hard_deleted_entries_and_revives_one_that_reappears(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        anchor = stack.world().anchor
        june = (anchor - timedelta(days=90), anchor - timedelta(days=61))
        july = (anchor - timedelta(days=60), anchor - timedelta(days=31))
        for window in (june, july):
            sync(migrated_db, company, VENDOR, "time_entries", window=window)
        in_june = entries_between(stack, *june)
        deleted_id, moved_id = in_june[3], in_june[4]
        server = stack.servers["harvest"]
        server.mutate(resource="time_entries", op="delete", id=deleted_id)
        server.mutate(resource="time_entries", op="update", id=moved_id,
                      fields={"spent_date": (july[0] + timedelta(days=2)).isoformat()})

        june_sweep = sync(migrated_db, company, VENDOR, "time_entries", window=june)

        assert june_sweep.run.counts.deleted == 2  # the deleted one and the one that left the window
        gone = {r["id"] for r in staged(migrated_db, TABLE, company, "id", "deleted_at IS NOT NULL")}
        assert gone == {deleted_id, moved_id}
        assert live_ids(migrated_db, TABLE, company) >= set(in_june) - gone

        sync(migrated_db, company, VENDOR, "time_entries", window=july)

        moved = staged(migrated_db, TABLE, company, "id, spent_date, deleted_at", f"id = {moved_id}")[0]
        assert moved["deleted_at"] is None and moved["spent_date"] == july[0] + timedelta(days=2)
        still_gone = staged(migrated_db, TABLE, company, "id, deleted_at", f"id = {deleted_id}")[0]
        assert still_gone["deleted_at"] is not None
