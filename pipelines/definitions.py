"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

from __future__ import annotations

from dagster import Definitions

from pipelines.resources_env import mysql_resource_from_env
from pipelines.sensors import sync_logs_failure_sensor

defs = Definitions(
    sensors=[sync_logs_failure_sensor],
    resources={"mysql": mysql_resource_from_env()},
)
