"""Blocking checks on each staging batch, evaluated inside the stream asset that wrote it.

A failing check (severity ERROR) stops everything downstream in the run — the merge — and the
run says why. Declared on the asset itself (`check_specs`) so a run has one step per stream.
"""

import os

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from resources.mysql import Database
from resources.sql import load_sql, quote_identifier
from resources.staging import StagingTable
from resources.sync_log import SyncRun

CHECK_NAMES = ("keys_unique_in_batch", "required_fields_present", "quarantine_rate_ok")
CHECK_DESCRIPTIONS = {
    "keys_unique_in_batch": "no source key appears twice in the batch this run wrote",
    "required_fields_present": "every required column of the batch is filled",
    "quarantine_rate_ok": "quarantined records stay under TIMESYNC_MAX_QUARANTINE_RATE (default 5%)",
}


def max_quarantine_rate() -> float:
    return float(os.environ.get("TIMESYNC_MAX_QUARANTINE_RATE", "0.05"))


def staging_check_specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [AssetCheckSpec(name, asset=key, blocking=True, description=CHECK_DESCRIPTIONS[name])
            for name in CHECK_NAMES]


def evaluate_staging_checks(db: Database, table: StagingTable, key: AssetKey, run: SyncRun) -> list[AssetCheckResult]:
    params = (run.company_id, run.id)
    dup = db.query(table.render(load_sql("checks/duplicate_keys_in_batch.sql")), params)[0]
    required = [table.key.name, *(c.name for c in table.columns if c.required)]
    required_is_null = " OR ".join(f"{quote_identifier(c)} IS NULL" for c in required)
    sql = load_sql("checks/missing_required_in_batch.sql").replace("{required_is_null}", required_is_null)
    missing = int(db.query(table.render(sql), params)[0]["missing"])
    processed, quarantined = run.counts.records_processed, run.counts.quarantined
    rate = quarantined / processed if processed else 0.0
    limit = max_quarantine_rate()
    return [
        AssetCheckResult(
            check_name="keys_unique_in_batch", asset_key=key, passed=int(dup["duplicates"]) == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"duplicates": int(dup["duplicates"]), "batch_rows": int(dup["batch_rows"])},
        ),
        AssetCheckResult(
            check_name="required_fields_present", asset_key=key, passed=missing == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"rows_missing_required": missing, "required": ", ".join(required)},
        ),
        AssetCheckResult(
            check_name="quarantine_rate_ok", asset_key=key, passed=rate <= limit, severity=AssetCheckSeverity.ERROR,
            description=None if rate <= limit else
            f"{quarantined} of {processed} records quarantined ({rate:.1%} > {limit:.1%}); see staging_quarantine",
            metadata={"quarantined": quarantined, "records": processed, "rate": round(rate, 4), "limit": limit},
        ),
    ]
