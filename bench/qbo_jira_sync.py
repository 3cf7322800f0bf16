"""QBO time activities and Jira worklogs through the whole extraction path, under the vendors' limits.

Usage: ``python bench/qbo_jira_sync.py [--time-activities 100000] [--worklogs 200000] [--scale medium]``.

The simulators run in a child process with their rate limits on (QBO: 500 requests/min and 10 in
flight per realm; Jira: its configured burst limit); this process runs `run_stream` exactly as an
asset does (token store, paging, typing, LOAD DATA into staging, sync_logs) against a fresh
database. Printed per stream: records/s and that rate as a fraction of the ceiling the limit
allows (QBO: 1,000 rows per request; Jira: 1,000 worklogs per `worklog/updated` + `worklog/list`
pair), the CPU seconds per record of this process, the simulators and MariaDB (they share the
machine's cores), the load average, and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANCHOR = date(2026, 6, 1)


def serve(time_activities: int, worklogs: int, scale: str) -> None:
    """Child process: the QBO and Jira simulators over one world with the bench's volumes."""
    from simulators.jira import build_jira_simulator
    from simulators.qbo import build_qbo_simulator
    from simulators.world import World, WorldRegistry
    from simulators.world_core import SCALES

    SCALES["bench"] = replace(SCALES[scale], name="bench", time_activities=time_activities, worklogs=worklogs)
    world = World("acme", "bench", 1, ANCHOR)
    world.clock.control(freeze="2026-06-01T12:00:00Z")
    registry = WorldRegistry([world])
    qbo = build_qbo_simulator(registry, rate_limit_scale=1.0).start()
    jira = build_jira_simulator(registry, rate_limit_scale=1.0).start()
    # The Jira site (its worklog index) is built on first use; build it now so the first timed request
    # does not pay for the simulator's start-up.
    jira.app.site(world)  # type: ignore[attr-defined]
    limit = jira.app.limiter.config
    print(json.dumps({"qbo": qbo.base_url, "realm": world.qbo_realm_id, "client_id": world.qbo_client_id,
                      "client_secret": world.qbo_client_secret, "refresh": world.qbo_refresh_token,
                      "jira": f"{jira.base_url}/site/{world.jira_site}", "jira_email": world.jira_email,
                      "jira_token": world.jira_api_token, "jira_limit": [limit.limit, limit.window]}), flush=True)
    sys.stdin.readline()


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of a process (all its threads) from /proc."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mariadb_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                return int(entry.name)
        except OSError:
            continue
    return None


def load_average() -> str:
    return f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) on {os.cpu_count()} cores"


def run(stream_vendor: str, stream: str, company: object, db: object, pids: tuple[int, int | None]
        ) -> tuple[int, float, str, list[float]]:
    from pipelines.assets import jira, qbo
    from pipelines.assets.factory import run_stream

    vendor = {"qbo": qbo, "jira": jira}[stream_vendor]
    cpu = [cpu_seconds(os.getpid()), cpu_seconds(pids[0]), cpu_seconds(pids[1])]
    started = time.perf_counter()
    outcome = run_stream(db, company, vendor.VENDOR, vendor.STREAMS[stream], mode="full",  # type: ignore[arg-type]
                         log=lambda _line: None)
    seconds = time.perf_counter() - started
    used = [cpu_seconds(os.getpid()) - cpu[0], cpu_seconds(pids[0]) - cpu[1], cpu_seconds(pids[1]) - cpu[2]]
    stats = outcome.stats
    requests = f"{stats.requests} requests, {stats.throttled} × 429, {stats.wait_seconds:.1f} s paced by our limiter"
    return outcome.run.counts.records_processed, seconds, requests, used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-activities", type=int, default=100_000)
    parser.add_argument("--worklogs", type=int, default=200_000)
    parser.add_argument("--scale", default="medium", help="the world they live in (people, projects, days)")
    args = parser.parse_args()
    if args.time_activities < 0:
        serve(-args.time_activities, args.worklogs, args.scale)
        return 0
    print(f"load average at start: {load_average()}", flush=True)
    child = subprocess.Popen([sys.executable, __file__, "--time-activities", str(-args.time_activities),
                              "--worklogs", str(args.worklogs), "--scale", args.scale], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        info = json.loads(child.stdout.readline())  # type: ignore[union-attr]
        return bench(info, (child.pid, mariadb_pid()))
    finally:
        child.stdin.write("stop\n")  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]
        child.wait(30)


def bench(info: dict, pids: tuple[int, int | None]) -> int:
    from resources.config import CompanyConnections, JiraConnection, QboConnection
    from resources.migrations import migrate
    from tests.conftest import database_named, drop_database, new_database_name

    os.environ["JIRA_RATE_LIMIT"] = f"{info['jira_limit'][0]}/{info['jira_limit'][1]}"
    name = new_database_name("ts_bench")
    db = database_named(name)
    migrate(db, log=lambda _line: None)
    company = CompanyConnections(
        key="bench", name="Bench",
        qbo=QboConnection(realm_id=info["realm"], client_id=info["client_id"], client_secret=info["client_secret"],
                          refresh_token=info["refresh"], base_url=info["qbo"],
                          token_url=f"{info['qbo']}/oauth2/v1/tokens/bearer"),
        jira=JiraConnection(base_url=info["jira"], email=info["jira_email"], api_token=info["jira_token"]))
    jira_per_s = info["jira_limit"][0] / info["jira_limit"][1]
    ceilings = {"qbo": 1000 * 500 / 60, "jira": 1000 * jira_per_s / 2}
    try:
        for vendor, stream, limit_text in (("qbo", "time_activities", "500 req/min, 10 in flight"),
                                           ("jira", "worklogs", f"{info['jira_limit'][0]} req/"
                                                                f"{info['jira_limit'][1]:g} s")):
            before = load_average()
            records, seconds, requests, used = run(vendor, stream, company, db, pids)
            rate = records / seconds
            print(f"{vendor} {stream}: {records:,} records in {seconds:.1f} s ({requests}; limit {limit_text}) "
                  f"= {rate:,.0f} records/s = {rate / ceilings[vendor]:.0%} of the {ceilings[vendor]:,.0f}/s ceiling",
                  flush=True)
            print("  CPU µs/record: " + ", ".join(f"{name} {sec / records * 1e6:.0f}" for name, sec in
                                                  zip(("pipeline", "simulators", "MariaDB"), used, strict=True))
                  + f"; load average before {before}, after {load_average()}", flush=True)
    finally:
        drop_database(name)
    print(f"peak RSS (pipeline process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
