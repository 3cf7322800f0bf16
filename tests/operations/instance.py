"""A production-shaped Dagster deployment for the operations tests, as real processes.

`dagster-webserver` and `dagster-daemon run` on the shipped `deploy/dagster.yaml` (a temp
DAGSTER_HOME, Dagster's storage in a fresh MariaDB database), the vendor simulators, and a
migrated timesync database. Everything is torn down by `close()`, process groups included.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pymysql

from resources.migrations import migrate
from resources.mysql import Database
from tests.conftest import REPO, ROOT_SETTINGS, database_named, db_env, drop_database, new_database_name

T = TypeVar("T")

ENSURE = "run scripts/ensure_services.sh (it installs and starts MariaDB, sshd and Chromium)"
OUTPUT = REPO / "tests" / "output" / "operations"
INSTANCE_YAML = REPO / "deploy" / "dagster.yaml"
BIN = Path(sys.executable).parent
COMPANY = "acme"


class NotYet(Exception):
    """Raised by a `wait_for` probe that should be tried again."""


def wait_for(probe: Callable[[], T], timeout: float, what: str, interval: float = 2.0,
             diagnostics: Callable[[], str] = lambda: "") -> T:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            return probe()
        except (NotYet, httpx.TransportError) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last})\n{diagnostics()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_mariadb() -> None:
    try:
        pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=ROOT_SETTINGS.user,
                        password=ROOT_SETTINGS.password, connect_timeout=5).close()
    except pymysql.err.OperationalError as exc:
        raise AssertionError(f"MariaDB is not reachable at {ROOT_SETTINGS.host}:{ROOT_SETTINGS.port} "
                             f"({exc}); {ENSURE}") from None


def create_database(name: str) -> None:
    conn = pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=ROOT_SETTINGS.user,
                           password=ROOT_SETTINGS.password, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} missing)"
    return f"--- last lines of {path} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Deployment:
    """What the tests drive: GraphQL, the two databases, the simulators and the process logs."""

    stack: Any
    timesync_db: Database
    dagster_db_name: str
    home: Path
    port: int
    env: dict[str, str]
    window_start: date
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    location: str = ""
    repository: str = ""
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def diagnostics(self) -> str:
        dead = [f"{name} exited with {p.returncode}" for name, p in self.procs.items() if p.poll() is not None]
        return "\n".join([*dead, *(tail(path) for path in self.logs.values())])

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                              timeout=timeout)
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def dagster_sql(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return database_named(self.dagster_db_name).query(sql, params)

    def close(self) -> None:
        for name, proc in self.procs.items():
            stop_process_group(proc, name)
        for cleanup in reversed(self.cleanups):
            cleanup()


def stop_process_group(proc: subprocess.Popen[bytes], name: str, grace: float = 20) -> None:
    if proc.poll() is not None:
        return
    # The webserver and daemon each run a code server, and the daemon run workers: the group has them all.
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def partition_start(anchor: date) -> date:
    """Four whole months before the simulator's today: room for a three-month backfill."""
    month = anchor.replace(day=1)
    for _ in range(4):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def start_deployment() -> Deployment:
    require_mariadb()
    from simulators.stack import start_stack

    OUTPUT.mkdir(parents=True, exist_ok=True)
    stack = start_stack([COMPANY], "tiny", seed=7)
    dep: Deployment | None = None
    try:
        timesync_db = database_named(new_database_name("ts_ops"))
        dagster_db = new_database_name("ts_dagster")
        home = Path(tempfile.mkdtemp(prefix="timesync-dagster-home-"))
        window_start = partition_start(stack.world(COMPANY).anchor)
        dep = Deployment(stack, timesync_db, dagster_db, home, free_port(), {}, window_start)
        dep.cleanups += [stack.stop, lambda: drop_database(timesync_db.name), lambda: drop_database(dagster_db),
                         lambda: shutil.rmtree(home, ignore_errors=True)]
        migrate(timesync_db, log=lambda _line: None)
        create_database(dagster_db)
        shutil.copy(INSTANCE_YAML, home / "dagster.yaml")
        connections = home / "connections.yaml"
        connections.write_text(stack.connections_yaml())

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DB_", "SSH_", "USE_SSH", "DAGSTER_", "TIMESYNC_"))}
        env.update(db_env(timesync_db))
        env.update(stack.env_for_connections())
        s = ROOT_SETTINGS
        env.update({
            "DAGSTER_HOME": str(home),
            "DAGSTER_MYSQL_HOST": s.host, "DAGSTER_MYSQL_PORT": str(s.port), "DAGSTER_MYSQL_USER": s.user,
            "DAGSTER_MYSQL_PASSWORD": s.password, "DAGSTER_MYSQL_DB": dagster_db,
            "TIMESYNC_CONNECTIONS": str(connections),
            "TIMESYNC_PARTITION_START": window_start.isoformat(),
            "TIMESYNC_SCHEDULE_CRON_OVERRIDE": "* * * * *",
            "PYTHONUNBUFFERED": "1",
        })
        dep.env = env
        # Create Dagster's schema once, as an operator does before the first start: the webserver
        # and the daemon starting together on an empty database race to create the same tables.
        migrated = subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=180)
        assert migrated.returncode == 0, f"dagster instance migrate failed:\n{migrated.stdout}\n{migrated.stderr}"
        workspace = str(REPO / "workspace.yaml")
        commands = {
            "webserver": [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(dep.port)],
            "daemon": [str(BIN / "dagster-daemon"), "run", "-w", workspace],
        }
        for name, cmd in commands.items():
            log = OUTPUT / f"{name}.log"
            dep.logs[name] = log
            with log.open("wb") as out:
                dep.procs[name] = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                   start_new_session=True)
        wait_until_ready(dep)
        return dep
    except BaseException:
        if dep is not None:
            dep.close()
        else:
            stack.stop()
        raise


def wait_until_ready(dep: Deployment) -> None:
    def alive() -> None:
        for name, proc in dep.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}\n{dep.diagnostics()}")

    def server_info() -> None:
        alive()
        if httpx.get(f"{dep.url}/server_info", timeout=10).status_code != 200:
            raise NotYet("server_info not 200")

    wait_for(server_info, 120, "dagster-webserver /server_info", diagnostics=dep.diagnostics)

    def location_loaded() -> tuple[str, str]:
        alive()
        data = dep.graphql("""{ workspaceOrError { ... on Workspace { locationEntries {
            name loadStatus locationOrLoadError { __typename ... on PythonError { message }
              ... on RepositoryLocation { repositories { name } } } } } } }""")
        entries = data["workspaceOrError"]["locationEntries"]
        if not entries or entries[0]["loadStatus"] != "LOADED":
            raise NotYet("code location loading")
        loc = entries[0]["locationOrLoadError"]
        if loc["__typename"] != "RepositoryLocation":
            raise AssertionError(f"code location failed to load: {loc.get('message')}")
        return entries[0]["name"], loc["repositories"][0]["name"]

    dep.location, dep.repository = wait_for(location_loaded, 120, "the code location", diagnostics=dep.diagnostics)

    def daemons_healthy() -> None:
        alive()
        data = dep.graphql("{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }")
        statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
        needed = {"SCHEDULER", "QUEUED_RUN_COORDINATOR", "BACKFILL"}
        healthy = {s["daemonType"] for s in statuses if s["healthy"]}
        if not needed <= healthy:
            raise NotYet(f"daemons not yet healthy: {sorted(needed - healthy)}")

    wait_for(daemons_healthy, 120, "the daemon's heartbeats", diagnostics=dep.diagnostics)


RUNS_QUERY = """query($filter: RunsFilter) { runsOrError(filter: $filter) { __typename
  ... on Runs { results { runId status startTime endTime tags { key value } } } } }"""


def runs_with_tag(dep: Deployment, key: str, value: str) -> list[dict[str, Any]]:
    data = dep.graphql(RUNS_QUERY, {"filter": {"tags": [{"key": key, "value": value}]}})
    return data["runsOrError"]["results"]


def tags_of(run: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}


FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
