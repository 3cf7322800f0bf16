"""Non-blocking checks on the reconciled model of each company: they warn, never stop a run."""

import os

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from resources.config import CompanyConnections
from resources.locks import ensure_company
from resources.mysql import Database, MySQLResource
from resources.sql import load_sql

SOURCES = ("harvest", "forecast", "qbo", "jira")
CHECKS = {
    "sources_fresh": "every configured source completed a sync within TIMESYNC_FRESHNESS_HOURS (default 26)",
    "no_unmatched_people": "every person record in every system is linked to a team member",
    "no_unmatched_projects": "every project record in every system is linked to a project",
    "no_orphaned_references": "no live row points at a soft-deleted person, project or client",
    "hours_per_person_day_within_bounds": "nobody logs more than TIMESYNC_MAX_HOURS_PER_DAY (default 24) in a day",
}


def _result(name: str, key: AssetKey, passed: bool, metadata: dict, description: str | None = None) -> AssetCheckResult:
    return AssetCheckResult(check_name=name, asset_key=key, passed=passed, severity=AssetCheckSeverity.WARN,
                            metadata=metadata, description=description)


def evaluate(db: Database, company: CompanyConnections, company_id: int, key: AssetKey) -> list[AssetCheckResult]:
    results: list[AssetCheckResult] = []
    limit = float(os.environ.get("TIMESYNC_FRESHNESS_HOURS", "26"))
    configured = [s for s in SOURCES if getattr(company, s) is not None]
    ages = {r["source"]: float(r["hours_since_last_sync"])
            for r in db.query(load_sql("checks/source_freshness.sql"), (company_id,))}
    stale = [s for s in configured if ages.get(s) is None or ages[s] > limit]
    results.append(_result("sources_fresh", key, not stale,
                           {s: ages.get(s, -1.0) for s in configured} | {"limit_hours": limit},
                           f"stale or never synced: {', '.join(stale)}" if stale else None))
    unmatched = {r["entity_type"]: int(r["unmatched"])
                 for r in db.query(load_sql("checks/open_unmatched_by_entity.sql"), (company_id,))}
    for entity, name in (("person", "no_unmatched_people"), ("project", "no_unmatched_projects")):
        n = unmatched.get(entity, 0)
        results.append(_result(name, key, n == 0, {"unmatched": n},
                               f"{n} {entity} record(s) unmatched: see sync_conflicts (kind 'unmatched'); "
                               "link them with identity_overrides" if n else None))
    orphans = {r["reference"]: int(r["orphans"])
               for r in db.query(load_sql("checks/orphaned_references.sql"), (company_id,) * 4)}
    results.append(_result("no_orphaned_references", key, sum(orphans.values()) == 0, orphans))
    max_hours = float(os.environ.get("TIMESYNC_MAX_HOURS_PER_DAY", "24"))
    over = db.query(load_sql("checks/person_days_over_limit.sql"), (company_id, max_hours))
    results.append(_result("hours_per_person_day_within_bounds", key, not over,
                           {"person_days_over": len(over), "limit_hours": max_hours,
                            "worst": [f"{r['team_member_name']} {r['spent_date']}: {r['hours']}h" for r in over[:5]]}))
    return results


def build_normalized_checks(company: CompanyConnections, key: AssetKey) -> AssetChecksDefinition:
    @multi_asset_check(
        specs=[AssetCheckSpec(name, asset=key, blocking=False, description=text) for name, text in CHECKS.items()],
        name=f"{key.to_python_identifier()}_checks",
        can_subset=False,
    )
    def _checks(context: AssetCheckExecutionContext, mysql: MySQLResource):  # type: ignore[no-untyped-def]
        db = mysql.get_database()
        company_id = ensure_company(db, company.key, company.name)
        yield from evaluate(db, company, company_id, key)

    return _checks
