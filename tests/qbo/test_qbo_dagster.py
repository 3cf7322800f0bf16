"""QBO through Dagster: invalid_grant is a non-retryable failure, attempted once despite the retry policy."""

from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance, materialize

from pipelines.assets import qbo as qbo_assets
from pipelines.assets.factory import build_vendor_assets, time_partitions
from resources.config import CompanyConnections
from resources.mysql import Database, MySQLResource
from simulators.stack import SimulatorStack
from tests.qbo.conftest import oauth


def test_invalid_grant_fails_the_run_once_without_dagster_retries(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    oauth(qbo_stack, "configure", force_invalid_grant=True)
    assets = [a for a in build_vendor_assets(qbo_assets.VENDOR, [qbo_company], time_partitions())
              if a.key.path[-1] == "customers"]
    assert assets and assets[0].op.retry_policy is not None and assets[0].op.retry_policy.max_retries > 0
    with DagsterInstance.ephemeral() as instance:
        result = materialize(assets, instance=instance, raise_on_error=False,
                             resources={"mysql": MySQLResource(database=migrated_db.name)})
        events = result.all_events
    assert not result.success
    failures = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    restarts = [e for e in events if e.event_type in (DagsterEventType.STEP_UP_FOR_RETRY,
                                                      DagsterEventType.STEP_RESTARTED)]
    assert len(failures) == 1 and not restarts
    message = failures[0].step_failure_data.user_failure_data.description
    assert f"re-authorize QuickBooks for realm {qbo_stack.world().qbo_realm_id}" in message
    assert oauth(qbo_stack)["rejected_count"] == 1  # the token endpoint was asked once
