"""QBO OAuth against the simulator's token endpoint: rotation persisted in MySQL, one refresh, invalid_grant."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from resources.config import CompanyConnections
from resources.http import NonRetryableError
from resources.mysql import Database
from resources.token_store import ReauthorizationRequired
from simulators.stack import SimulatorStack
from tests.conftest import REPO, db_env
from tests.qbo.conftest import oauth, qbo_rows, stored_token, sync_qbo, token_request
from tests.sim_sync import sync_log_rows


def query_in_new_process(db: Database, stack: SimulatorStack, company: CompanyConnections, entity: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "QBO_", "HARVEST_", "JIRA_",
                                                                      "FORECAST_", "TIMESYNC_"))}
    env.update(db_env(db))
    env.update({k: v for k, v in stack.env().items() if k.startswith("QBO_")})
    env["TIMESYNC_COMPANY_KEY"] = company.key
    done = subprocess.run([sys.executable, "-m", "tests.qbo.query_once", entity], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_rotated_refresh_token_is_stored_and_used_by_the_next_process(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    oauth(qbo_stack, "configure", rotate_every=1, grace_seconds=0)
    seed = qbo_stack.env()["QBO_REFRESH_TOKEN"]

    assert query_in_new_process(migrated_db, qbo_stack, qbo_company, "Customer") != "0"
    first = stored_token(migrated_db, qbo_stack)["refresh_token"]
    assert first != seed  # the rotated token was saved, not the seed

    oauth(qbo_stack, "expire_access_tokens")  # the next process must refresh again, from the stored token
    assert query_in_new_process(migrated_db, qbo_stack, qbo_company, "Employee") != "0"
    second = stored_token(migrated_db, qbo_stack)["refresh_token"]
    assert second not in (seed, first)

    assert oauth(qbo_stack)["refresh_count"] == 2
    for superseded in (seed, first):
        rejected = token_request(qbo_stack, superseded)
        assert rejected.status_code == 400 and rejected.json()["error"] == "invalid_grant"


def test_two_concurrent_runs_perform_one_refresh(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    errors: list[BaseException] = []

    def run(stream: str) -> None:
        try:
            sync_qbo(migrated_db, qbo_company, stream)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in ("customers", "employees", "vendors", "items")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert oauth(qbo_stack)["refresh_count"] == 1
    assert len(qbo_rows(migrated_db, qbo_company, "vendors")) > 0


def test_invalid_grant_fails_clearly_once_without_retrying(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    oauth(qbo_stack, "configure", force_invalid_grant=True)
    realm = qbo_stack.world().qbo_realm_id

    with pytest.raises(ReauthorizationRequired, match=f"re-authorize QuickBooks for realm {realm}") as caught:
        sync_qbo(migrated_db, qbo_company, "customers")
    assert isinstance(caught.value, NonRetryableError)  # the asset turns it into Failure(allow_retries=False)
    with pytest.raises(ReauthorizationRequired, match="already rejected"):
        sync_qbo(migrated_db, qbo_company, "invoices")

    assert oauth(qbo_stack)["rejected_count"] == 1  # one token request in all: no retry storm
    failed = sync_log_rows(migrated_db, qbo_company)
    assert [r["status"] for r in failed] == ["failed", "failed"]
    assert all("re-authorize QuickBooks" in r["error_message"] for r in failed)
    assert qbo_stack.env()["QBO_REFRESH_TOKEN"] not in failed[0]["error_message"]


def test_reconfigured_seed_token_replaces_a_rejected_one(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    oauth(qbo_stack, "configure", force_invalid_grant=True)
    with pytest.raises(ReauthorizationRequired):
        sync_qbo(migrated_db, qbo_company, "classes")
    oauth(qbo_stack, "configure", force_invalid_grant=False)
    fresh = oauth(qbo_stack, "issue_refresh_token")["refresh_token"]
    reauthorized = CompanyConnections(key=qbo_company.key, name=qbo_company.name,
                                      qbo=qbo_company.qbo.__class__(**{**qbo_company.qbo.__dict__,
                                                                       "refresh_token": fresh}))
    assert sync_qbo(migrated_db, reauthorized, "classes").run.counts.records_processed > 0
    assert stored_token(migrated_db, qbo_stack)["invalid_at"] is None


def test_doctor_check_reuses_the_stored_access_token(
        migrated_db: Database, qbo_stack: SimulatorStack, qbo_company: CompanyConnections) -> None:
    from resources.vendor_checks import check_qbo

    first, second = check_qbo(qbo_company), check_qbo(qbo_company)
    assert first == second and "customers" in first
    assert oauth(qbo_stack)["refresh_count"] == 1  # the second check used the stored access token
