"""Where the steps of a run execute: Dagster's default executor, or Celery workers.

`TIMESYNC_EXECUTOR=celery` (in the environment of the code server, the daemon and the run
workers) makes every job of the code location - the source jobs, their schedules, backfills,
`full_sync` - send its steps to Celery workers through dagster-celery's `celery_executor`,
configured from `deploy/celery.yaml` (or the file `TIMESYNC_CELERY_CONFIG` names). Unset, or
`multiprocess`, keeps Dagster's default (each step a subprocess of the run worker).
`timesync sync` and `timesync demo` execute in-process either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster import ExecutorDefinition

REPO = Path(__file__).resolve().parent.parent
EXECUTOR_ENV = "TIMESYNC_EXECUTOR"
CELERY_CONFIG_ENV = "TIMESYNC_CELERY_CONFIG"
DEFAULT_CELERY_CONFIG = REPO / "deploy" / "celery.yaml"
EXECUTORS = ("multiprocess", "celery")


def celery_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get(CELERY_CONFIG_ENV) or DEFAULT_CELERY_CONFIG)


def celery_executor_config(path: Path) -> dict[str, Any]:
    """`execution.config` of a dagster-celery config file: the block `dagster-celery worker start -y` reads."""
    if not path.exists():
        raise ValueError(f"{EXECUTOR_ENV}=celery but the Celery config {path} does not exist ({CELERY_CONFIG_ENV})")
    parsed = yaml.safe_load(path.read_text()) or {}
    config = (parsed.get("execution") or {}).get("config")
    if not isinstance(config, dict) or not config.get("broker"):
        raise ValueError(f"{path}: expected `execution: config:` with at least `broker`")
    return config


def timesync_celery_executor(path: Path | None = None) -> ExecutorDefinition:
    from dagster_celery import celery_executor

    # {env: ...} values stay unresolved here: Dagster resolves them where the run executes.
    return celery_executor.configured(celery_executor_config(path or celery_config_path()), name="celery")


def executor_from_env(env: Mapping[str, str] | None = None) -> ExecutorDefinition | None:
    """The executor every job gets, or None for Dagster's default."""
    env = os.environ if env is None else env
    choice = (env.get(EXECUTOR_ENV) or "multiprocess").strip().lower()
    if choice not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV}={choice!r}: expected one of {', '.join(EXECUTORS)}")
    if choice == "celery":
        return timesync_celery_executor(celery_config_path(env))
    return None
