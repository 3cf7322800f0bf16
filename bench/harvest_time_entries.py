"""Benchmark: a full Harvest time-entry sync against the simulator enforcing 100 requests / 15 s.

Starts `timesync simulate` (all simulators, one company) in a subprocess, migrates a scratch
database, runs the time_entries stream in full and then a no-change incremental run in this
process, and prints records/s against the rate-limit ceiling, peak RSS and the incremental time.

    .venv/bin/python -m bench.harvest_time_entries [--scale medium|large] [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipelines.assets.factory import FetchRequest, StreamSpec, run_stream
from pipelines.assets.harvest import VENDOR
from resources.config import load_companies
from resources.harvest import HARVEST_RATE_LIMIT, MAX_PER_PAGE
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import load_sql, quote_identifier
from resources.staging import StagingWriter

REPO = Path(__file__).resolve().parent.parent
CEILING = MAX_PER_PAGE * HARVEST_RATE_LIMIT.requests / HARVEST_RATE_LIMIT.per_seconds


def start_simulator(scale: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.stack", "--companies", "acme", "--scale", scale,
         "--rate-limit-scale", "1"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export "):
            key, _, value = line[len("export "):].strip().partition("=")
            env[key] = value
        if "TIMESYNC_CONNECTIONS" in env:
            return proc, env
    raise RuntimeError("the simulator exited before printing its environment")


class FetchTimer:
    """Seconds spent waiting for pages (HTTP, simulator, JSON decoding, pacing) vs. everything else."""

    def __init__(self) -> None:
        self.fetch_seconds = 0.0

    def wrap(self, spec: StreamSpec) -> StreamSpec:
        def fetch(client: Any, request: FetchRequest) -> Iterator[list[dict[str, Any]]]:
            pages = iter(spec.fetch(client, request))
            while True:
                started = time.perf_counter()
                try:
                    page = next(pages)
                except StopIteration:
                    return
                finally:
                    self.fetch_seconds += time.perf_counter() - started
                yield page

        return replace(spec, fetch=fetch)


class LoadTimer:
    """Seconds the staging writer spends in MySQL (LOAD DATA of each batch, quarantine, commit)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = StagingWriter._write

        def timed_write(writer: StagingWriter, *args: Any) -> None:
            started = time.perf_counter()
            try:
                original(writer, *args)
            finally:
                self.seconds += time.perf_counter() - started

        StagingWriter._write = timed_write  # type: ignore[method-assign]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", help="simulator scale (medium: 200k entries, large: 1M)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)

    proc, env = start_simulator(args.scale)
    db_name = f"ts_bench_{secrets.token_hex(4)}"
    db = Database.from_env({**os.environ, "DB_NAME": os.environ.get("BENCH_DB_NAME", db_name)})
    try:
        migrate(db, log=lambda _line: None)
        company = load_companies({k: v for k, v in env.items() if k != "TIMESYNC_CONNECTIONS"})[0]
        timer, load_timer = FetchTimer(), LoadTimer()
        spec = timer.wrap(next(s for s in VENDOR.streams if s.name == "time_entries"))
        rss_before = peak_rss_mb()

        full = run_stream(db, company, VENDOR, spec, mode="full", log=lambda _line: None)
        records = full.run.counts.records_processed
        per_second = records / full.seconds
        requests = full.stats.requests
        # The rolling window lets the first 100 requests go at once; after that one page per 0.15 s.
        limit_floor = max(0.0, (requests - HARVEST_RATE_LIMIT.requests) * HARVEST_RATE_LIMIT.per_seconds
                          / HARVEST_RATE_LIMIT.requests)
        print(f"full sync        : {records:,} time entries in {full.seconds:.1f} s over {requests} requests "
              f"({full.stats.throttled} × 429, {full.stats.wait_seconds:.1f} s paced)")
        print(f"records/s        : {per_second:,.0f} = {per_second / CEILING:.0%} of the ceiling "
              f"{CEILING:,.0f} (2,000 × 100 / 15 s)")
        print(f"rate-limit floor : {limit_floor:.1f} s for {requests} requests; "
              f"time spent beyond it {full.seconds - limit_floor:.1f} s")
        print(f"time split       : {timer.fetch_seconds:.1f} s waiting for pages "
              f"(HTTP + simulator + JSON + pacing), {load_timer.seconds:.1f} s in MySQL (LOAD DATA + commit), "
              f"{full.seconds - timer.fetch_seconds - load_timer.seconds:.1f} s typing rows in Python")
        print(f"load average     : {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        print(f"peak RSS         : {peak_rss_mb():.0f} MB (before the sync {rss_before:.0f} MB)")

        incremental = run_stream(db, company, VENDOR, spec, mode="incremental", log=lambda _line: None)
        print(f"no-change incr.  : {incremental.seconds:.2f} s, {incremental.run.counts.records_processed} "
              f"records re-read, {incremental.stats.requests} requests")
        staged = db.query("SELECT COUNT(*) AS n FROM staging_harvest_time_entries WHERE deleted_at IS NULL")[0]["n"]
        print(f"staged rows      : {staged:,}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not args.keep_db and "BENCH_DB_NAME" not in os.environ:
            db.execute(load_sql("bench/drop_scratch_database.sql").format(database=quote_identifier(db_name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
