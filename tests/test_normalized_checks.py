"""Non-blocking checks on the reconciled model, run by Dagster after a real sync of a simulator world."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from pipelines.assets.reconcile import build_reconcile_asset, reconcile_asset_key
from pipelines.normalized_checks import build_normalized_checks
from pipelines.reconcile.run import reconcile_company
from resources.mysql import Database, MySQLResource
from simulators.stack import SimulatorStack, start_stack
from tests.reconcile.world_sync import VENDORS, company_for, sync_all


@pytest.fixture(scope="module")
def stack() -> Iterator[SimulatorStack]:
    s = start_stack(["acme"], rate_limit_scale=0.01)
    yield s
    s.stop()


def run_checks(db: Database, company) -> dict:  # type: ignore[no-untyped-def]
    key = reconcile_asset_key(company)
    reconcile = build_reconcile_asset(company, list(VENDORS))
    checks = build_normalized_checks(company, key)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([reconcile, checks], instance=instance, raise_on_error=False,
                             resources={"mysql": MySQLResource(database=db.name)})
    assert result.success  # warnings never fail the run
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_checks_warn_about_unmatched_people_and_pass_the_rest(stack: SimulatorStack, migrated_db: Database) -> None:
    company = company_for(stack)
    sync_all(migrated_db, company)
    evaluations = run_checks(migrated_db, company)
    assert evaluations["sources_fresh"].passed
    assert evaluations["no_orphaned_references"].passed
    # The world has a timer left running for days: a day over 24 h is flagged, as a warning only.
    impossible = evaluations["hours_per_person_day_within_bounds"]
    assert not impossible.passed and impossible.severity == AssetCheckSeverity.WARN
    hidden = [p for p in stack.truth()["people"] if p.get("jira_email_hidden")]
    unmatched = evaluations["no_unmatched_people"]
    assert hidden and not unmatched.passed and unmatched.severity == AssetCheckSeverity.WARN
    assert unmatched.metadata["unmatched"].value >= len(hidden)


def test_entry_of_a_deleted_person_is_flagged_as_orphaned(stack: SimulatorStack, migrated_db: Database) -> None:
    company = company_for(stack)
    company_id = sync_all(migrated_db, company)
    reconcile_company(migrated_db, company_id, run_id=None, log=lambda _l: None)
    entry = migrated_db.query("SELECT id, team_member_id, spent_date FROM time_entries WHERE company_id = %s "
                              "AND team_member_id IS NOT NULL AND duplicate_of_id IS NULL AND deleted_at IS NULL "
                              "LIMIT 1", (company_id,))[0]
    migrated_db.execute("UPDATE team_members SET deleted_at = UTC_TIMESTAMP(6) WHERE company_id = %s AND id = %s",
                        (company_id, entry["team_member_id"]))
    from pipelines.normalized_checks import evaluate

    results = {r.check_name: r for r in evaluate(migrated_db, company, company_id, reconcile_asset_key(company))}
    assert not results["no_orphaned_references"].passed
    assert results["no_orphaned_references"].metadata["time_entries.team_member_id"].value >= 1
    assert results["no_orphaned_references"].metadata["time_entries.project_id"].value == 0
