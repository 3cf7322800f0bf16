"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

from __future__ import annotations

import importlib
import os

from dagster import AssetsDefinition, Definitions
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from pipelines.assets.factory import VendorSpec, build_vendor_assets, time_partitions
from pipelines.assets.reconcile import build_reconcile_assets, reconcile_asset_key
from pipelines.executors import executor_from_env
from pipelines.jobs import build_schedules, source_jobs
from pipelines.maintenance import housekeeping_job, housekeeping_schedule
from pipelines.normalized_checks import build_normalized_checks
from pipelines.resources_env import mysql_resource_from_env
from pipelines.sensors import sync_logs_failure_sensor
from resources.config import load_companies

VENDOR_MODULES = ("harvest", "forecast", "qbo", "jira")


def vendor_specs() -> list[VendorSpec]:
    specs: list[VendorSpec] = []
    for name in VENDOR_MODULES:
        try:
            module = importlib.import_module(f"pipelines.assets.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pipelines.assets.{name}":
                raise
            continue
        specs.append(module.VENDOR)
    return specs


def build_definitions(extra_jobs: list[UnresolvedAssetJobDefinition] | None = None) -> Definitions:
    companies = load_companies()
    partitions = time_partitions(os.environ.get("TIMESYNC_PARTITION_START", "2025-01-01"))
    vendors = vendor_specs()
    assets: list[AssetsDefinition] = [a for v in vendors for a in build_vendor_assets(v, companies, partitions)]
    reconcile_assets = build_reconcile_assets(companies, vendors)
    jobs = source_jobs()
    return Definitions(
        assets=[*assets, *reconcile_assets],
        asset_checks=[build_normalized_checks(c, reconcile_asset_key(c)) for c in companies],
        jobs=[*jobs, housekeeping_job, *(extra_jobs or [])],
        schedules=[*build_schedules(assets, partitions, jobs, reconcile_assets), housekeeping_schedule],
        sensors=[sync_logs_failure_sensor],
        resources={"mysql": mysql_resource_from_env()},
        executor=executor_from_env(),  # TIMESYNC_EXECUTOR=celery: steps on Celery workers (deploy/celery.yaml)
    )


defs = build_definitions()
