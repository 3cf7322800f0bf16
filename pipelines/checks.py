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

CHECK_NAMES = ("records_accounted_for", "batch_loaded_verbatim", "required_fields_present", "quarantine_rate_ok")
CHECK_DESCRIPTIONS = {
    "records_accounted_for": "every record the pages returned was written, skipped as unchanged or quarantined, "
                             "and every quarantined one is in staging_quarantine",
    "batch_loaded_verbatim": "the server stored the batch as sent (LOAD DATA raised no warning)",
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
    c = run.counts
    quarantine_rows = int(db.query(load_sql("checks/quarantined_in_batch.sql"), params)[0]["n"])
    written = c.records_processed - c.quarantined - c.unchanged
    # The pages' own count against the writer's, and the quarantine table against the writer's count: a record
    # the writer dropped, or a quarantine row that never landed, fails the run before anything is merged.
    accounted = run.listed == c.records_processed and quarantine_rows == c.quarantined
    required = [table.key.name, *(col.name for col in table.columns if col.required)]
    required_is_null = " OR ".join(f"{quote_identifier(name)} IS NULL" for name in required)
    sql = load_sql("checks/missing_required_in_batch.sql").replace("{required_is_null}", required_is_null)
    missing = int(db.query(table.render(sql), params)[0]["missing"])
    processed, quarantined = c.records_processed, c.quarantined
    rate = quarantined / processed if processed else 0.0
    limit = max_quarantine_rate()
    return [
        AssetCheckResult(
            check_name="records_accounted_for", asset_key=key, passed=accounted, severity=AssetCheckSeverity.ERROR,
            description=None if accounted else
            f"{run.listed} records listed, {c.records_processed} accounted for by the writer, {quarantined} "
            f"quarantined of which {quarantine_rows} are in staging_quarantine",
            metadata={"listed": run.listed, "written": written, "unchanged": c.unchanged, "quarantined": quarantined,
                      "quarantine_rows": quarantine_rows},
        ),
        AssetCheckResult(
            check_name="batch_loaded_verbatim", asset_key=key, passed=not run.load_warnings,
            severity=AssetCheckSeverity.ERROR,
            description=None if not run.load_warnings else
            "the server changed values while loading the batch: " + "; ".join(run.load_warnings),
            metadata={"load_warnings": len(run.load_warnings)},
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
