"""Asset checks on staging batches. Blocking: a failure stops everything downstream (the merge)."""

import os

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    multi_asset_check,
)

from pipelines.assets.factory import StreamSpec, VendorSpec, stream_asset_key
from resources.config import CompanyConnections
from resources.mysql import MySQLResource
from resources.sql import load_sql, quote_identifier

CHECK_NAMES = ("keys_unique_in_batch", "required_fields_present", "quarantine_rate_ok")


def max_quarantine_rate() -> float:
    return float(os.environ.get("TIMESYNC_MAX_QUARANTINE_RATE", "0.05"))


def build_staging_checks(vendor: VendorSpec, spec: StreamSpec, company: CompanyConnections) -> AssetChecksDefinition:
    key = stream_asset_key(company, vendor.system, spec.name)
    table = spec.table
    required = [table.key.name, *(c.name for c in table.columns if c.required)]
    required_is_null = " OR ".join(f"{quote_identifier(c)} IS NULL" for c in required)

    @multi_asset_check(
        specs=[AssetCheckSpec(name, asset=key, blocking=True) for name in CHECK_NAMES],
        name=f"{key.to_python_identifier()}_staging_checks",
        can_subset=False,
    )
    def _checks(context: AssetCheckExecutionContext, mysql: MySQLResource):  # type: ignore[no-untyped-def]
        db = mysql.get_database()
        batch = db.query(load_sql("checks/latest_batch_of_run.sql"),
                         (context.run.run_id, company.key, vendor.system, spec.name))
        if not batch:
            for name in CHECK_NAMES:
                yield AssetCheckResult(check_name=name, asset_key=key, passed=True,
                                       metadata={"note": "no batch of this stream in this run"})
            return
        b = batch[0]
        params = (b["company_id"], b["id"])
        dup = db.query(table.render(load_sql("checks/duplicate_keys_in_batch.sql")), params)[0]
        yield AssetCheckResult(check_name="keys_unique_in_batch", asset_key=key, passed=int(dup["duplicates"]) == 0,
                               severity=AssetCheckSeverity.ERROR,
                               metadata={"duplicates": int(dup["duplicates"]), "batch_rows": int(dup["batch_rows"])})
        sql = load_sql("checks/missing_required_in_batch.sql").replace("{required_is_null}", required_is_null)
        missing = int(db.query(table.render(sql), params)[0]["missing"])
        yield AssetCheckResult(check_name="required_fields_present", asset_key=key, passed=missing == 0,
                               metadata={"rows_missing_required": missing, "required": ", ".join(required)})
        processed, quarantined = int(b["records_processed"]), int(b["quarantined_count"])
        rate = quarantined / processed if processed else 0.0
        limit = max_quarantine_rate()
        yield AssetCheckResult(
            check_name="quarantine_rate_ok", asset_key=key, passed=rate <= limit,
            description=None if rate <= limit else
            f"{quarantined} of {processed} records quarantined ({rate:.1%} > {limit:.1%}); see staging_quarantine",
            metadata={"quarantined": quarantined, "records": processed, "rate": round(rate, 4), "limit": limit},
        )

    return _checks


def build_vendor_checks(vendor: VendorSpec, companies: list[CompanyConnections]) -> list[AssetChecksDefinition]:
    return [build_staging_checks(vendor, spec, company)
            for company in companies if vendor.connection_of(company) is not None for spec in vendor.streams]
