"""Reconciliation assets: one per company, downstream of every stream that company has configured.

It joins whatever has been staged (a company with only Harvest still gets its model) into the
normalized tables and analyst views; see `pipelines.reconcile`.
"""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config, MaterializeResult, asset

from pipelines.assets.factory import VendorSpec, stream_asset_key
from pipelines.reconcile.run import reconcile_company
from resources.config import CompanyConnections
from resources.locks import ensure_company
from resources.mysql import MySQLResource


class ReconcileConfig(Config):
    """`full`: every fact merge reads every staged row, not only the rows staged since its watermark."""

    full: bool = False


def reconcile_asset_key(company: CompanyConnections) -> AssetKey:
    return AssetKey([company.key, "timesync", "normalized"])


def build_reconcile_asset(company: CompanyConnections, vendors: list[VendorSpec]) -> AssetsDefinition:
    deps = [stream_asset_key(company, v.system, s.name) for v in vendors if v.connection_of(company) is not None
            for s in v.streams]

    @asset(
        key=reconcile_asset_key(company),
        deps=deps,
        group_name="reconcile",
        description=f"People, clients, projects, time and plans of {company.name}, reconciled across systems "
                    "into the normalized tables (crosswalk, conflicts, hash-only merges).",
        kinds={"mysql"},
        tags={"timesync/company": company.key},
        pool=f"reconcile-{company.key}",
    )
    def _reconcile(context: AssetExecutionContext, config: ReconcileConfig, mysql: MySQLResource) -> MaterializeResult:
        db = mysql.get_database()
        company_id = ensure_company(db, company.key, company.name)
        outcome = reconcile_company(db, company_id, run_id=context.run.run_id, log=context.log.info,
                                    full=config.full)
        full = sorted(name for name, plan in outcome.plans.items() if plan.full)
        metadata: dict[str, int | str] = {"unmatched": outcome.unmatched, "ambiguous": outcome.ambiguous,
                                          "field_conflicts": outcome.field_conflicts,
                                          "full_merges": ", ".join(full) or "none",
                                          "incremental_merges": len(outcome.plans) - len(full)}
        for table, counts in outcome.counts.items():
            metadata[f"{table}_inserted"] = counts.inserted
            metadata[f"{table}_updated"] = counts.updated
            metadata[f"{table}_deleted"] = counts.deleted
        return MaterializeResult(metadata=metadata)

    return _reconcile


def build_reconcile_assets(companies: list[CompanyConnections], vendors: list[VendorSpec]) -> list[AssetsDefinition]:
    return [build_reconcile_asset(c, vendors) for c in companies]
