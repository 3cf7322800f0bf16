"""Records that cannot be typed are quarantined and counted; odd but valid text lands verbatim."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.assets.harvest import harvest_vendor
from resources.mysql import Database
from tests.harvest.test_changes import entry_fields
from tests.sim_sync import FAST_RATE_LIMIT, company_id, company_of, live_ids, simulators, staged, sync, sync_log_rows

VENDOR = harvest_vendor(FAST_RATE_LIMIT)
TABLE = "staging_harvest_time_entries"
AWKWARD_NOTES = ("🦄 𝄞 naïve café — 4-byte UTF-8; '; DROP TABLE staging_harvest_time_entries; -- "
                 "\\N \\\\ back\\slash\ttab\nnewline\r\"quote\" `tick` %s %% {0} \x00nul ") + "long " * 30_000


def test_bad_records_are_quarantined_with_reasons_and_counted_while_the_rest_lands(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        server, day = stack.servers["harvest"], stack.world().anchor - timedelta(days=5)
        bad = {
            server.mutate(resource="time_entries", op="create",
                          fields=entry_fields(stack, day, user_id=None))["id"]: "user_id: required value missing",
            server.mutate(resource="time_entries", op="create",
                          fields=entry_fields(stack, day, notes={"rich": "text"}))["id"]: "notes: an object",
            server.mutate(resource="time_entries", op="create",
                          fields=entry_fields(stack, date(1900, 1, 1)))["id"]: "spent_date: '1900-01-01' is an absurd",
        }

        outcome = sync(migrated_db, company, VENDOR, "time_entries", mode="full")

        truth = stack.truth()["counts"]["harvest"]["time_entries"]
        assert len(live_ids(migrated_db, TABLE, company)) == truth - len(bad)
        assert not live_ids(migrated_db, TABLE, company) & bad.keys()
        log = sync_log_rows(migrated_db, company, "time_entries")[-1]
        assert (log["status"], log["quarantined_count"], log["records_processed"]) == ("completed", 3, truth)
        assert outcome.run.counts.quarantined == 3
        quarantined = migrated_db.query(
            "SELECT source_id, reason, stream, system_name FROM staging_quarantine WHERE company_id = %s",
            (company_id(migrated_db, company),))
        reasons = {int(q["source_id"]): q["reason"] for q in quarantined}
        assert reasons.keys() == bad.keys()
        assert all(reasons[i].startswith(expected) for i, expected in bad.items())
        assert {(q["system_name"], q["stream"]) for q in quarantined} == {("harvest", "time_entries")}


def test_four_byte_utf8_long_notes_and_sql_metacharacters_are_stored_verbatim(migrated_db: Database) -> None:
    with simulators(vendors=("harvest",)) as stack:
        company = company_of(stack)
        day = stack.world().anchor - timedelta(days=4)
        entry_id = stack.servers["harvest"].mutate(
            resource="time_entries", op="create", fields=entry_fields(stack, day, notes=AWKWARD_NOTES))["id"]

        sync(migrated_db, company, VENDOR, "time_entries", window=(day, day))

        [row] = staged(migrated_db, TABLE, company, "id, notes, JSON_VALUE(raw_json, '$.notes') AS raw_notes",
                       f"id = {int(entry_id)}")
        assert row["notes"] == AWKWARD_NOTES
        assert row["raw_notes"] == AWKWARD_NOTES
        # The awkward entry landed, not quarantined (this company's rows only: other tests share the database).
        assert migrated_db.query("SELECT COUNT(*) AS n FROM staging_quarantine WHERE company_id = %s",
                                 (company_id(migrated_db, company),))[0]["n"] == 0
