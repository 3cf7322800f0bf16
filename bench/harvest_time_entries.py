"""Benchmark: a full Harvest time-entry sync against the simulator enforcing 100 requests / 15 s.

The Harvest simulator runs in a child process with Harvest's real limit; this process migrates a
scratch database and runs the time_entries stream exactly as the asset does (`run_stream`): one
full sync per size in `--entries`, then a no-change incremental run. Printed per size: records/s
as a fraction of the ceiling the limit allows (2,000 records × 100 requests / 15 s ≈ 13,333/s),
where the time went, the CPU seconds of this process, the simulator and MariaDB, and the load
average (the simulator, MariaDB and this process share the machine's cores).

    .venv/bin/python -m bench.harvest_time_entries [--entries 200000,400000] [--scale medium] [--keep-db]

200,000 entries are exactly 100 requests, one rate-limit window (so pacing never engages);
400,000 need a second window, so the pacer's spacing counts.
"""

from __future__ import annotations

import argparse
import json
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.assets.factory import FetchRequest, StreamSpec, run_stream  # noqa: E402
from pipelines.assets.harvest import VENDOR  # noqa: E402
from resources.config import load_companies  # noqa: E402
from resources.harvest import HARVEST_RATE_LIMIT, MAX_PER_PAGE  # noqa: E402
from resources.migrations import migrate  # noqa: E402
from resources.mysql import Database  # noqa: E402
from resources.sql import load_sql, quote_identifier  # noqa: E402

CEILING = MAX_PER_PAGE * HARVEST_RATE_LIMIT.requests / HARVEST_RATE_LIMIT.per_seconds
TICKS = os.sysconf("SC_CLK_TCK")


def serve(scale: str, entries: int) -> None:
    """Child process: the Harvest simulator over a world with `entries` time entries, real limits."""
    from simulators.stack import start_stack
    from simulators.world_core import SCALES

    SCALES["bench"] = replace(SCALES[scale], name="bench", time_entries=entries)
    stack = start_stack(["acme"], "bench", seed=1, rate_limit_scale=1.0, vendors=("harvest",))
    print(json.dumps(stack.env()), flush=True)
    sys.stdin.read()
    stack.stop()


def start_simulator(scale: str, entries: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--scale", scale, "--entries", str(entries)],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the simulator exited before printing its environment")
    return proc, json.loads(line)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS


def mariadb_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(entry.name)
            except OSError:
                continue
    return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class FetchTimer:
    """Seconds the sync waited for the next page (HTTP, simulator, JSON decoding, pacing)."""

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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    return f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) on {os.cpu_count()} cores"


def bench_size(args: argparse.Namespace, entries: int, db_pid: int | None) -> None:
    proc, env = start_simulator(args.scale, entries)
    db_name = os.environ.get("BENCH_DB_NAME") or f"ts_bench_{secrets.token_hex(4)}"
    db = Database.from_env({**os.environ, "DB_NAME": db_name})
    try:
        migrate(db, log=lambda _line: None)
        company = load_companies(env)[0]
        timer = FetchTimer()
        spec = timer.wrap(next(s for s in VENDOR.streams if s.name == "time_entries"))
        load_before = load_average()
        cpu = (own_cpu_seconds(), cpu_seconds(proc.pid), cpu_seconds(db_pid) if db_pid else float("nan"))

        full = run_stream(db, company, VENDOR, spec, mode="full", log=lambda _line: None)
        used = (own_cpu_seconds() - cpu[0], cpu_seconds(proc.pid) - cpu[1],
                (cpu_seconds(db_pid) - cpu[2]) if db_pid else float("nan"))
        records = full.run.counts.records_processed
        per_second = records / full.seconds
        requests = full.stats.requests
        # The rolling window lets the first 100 requests go at once; after that one page per 0.15 s.
        floor = max(0.0, (requests - HARVEST_RATE_LIMIT.requests) * HARVEST_RATE_LIMIT.per_seconds
                    / HARVEST_RATE_LIMIT.requests)
        print(f"\n== {entries:,} entries ({requests} requests) ==")
        print(f"full sync        : {records:,} time entries in {full.seconds:.1f} s "
              f"({full.stats.throttled} × 429, {full.stats.wait_seconds:.1f} s paced by our limiter)")
        print(f"records/s        : {per_second:,.0f} = {per_second / CEILING:.0%} of the ceiling {CEILING:,.0f}/s "
              f"(2,000 × 100 / 15 s); the limit alone allows it in {max(floor, records / CEILING):.1f} s")
        print(f"time split       : {timer.fetch_seconds:.1f} s waiting for pages (HTTP + simulator + JSON + "
              f"pacing), {full.seconds - timer.fetch_seconds:.1f} s typing rows and handing batches to MySQL "
              f"(loads run in the background)")
        print(f"CPU seconds      : pipeline {used[0]:.1f} ({used[0] / records * 1e6:.0f} µs/record), simulator "
              f"{used[1]:.1f} ({used[1] / records * 1e6:.0f} µs/record), MariaDB {used[2]:.1f} "
              f"({used[2] / records * 1e6:.0f} µs/record); wall {full.seconds:.1f} s × 2 cores")
        print(f"load average     : before {load_before}; after {load_average()}")
        print(f"peak RSS         : {peak_rss_mb():.0f} MB (this process, since it started)")
        incremental = run_stream(db, company, VENDOR, spec, mode="incremental", log=lambda _line: None)
        print(f"no-change incr.  : {incremental.seconds:.2f} s, {incremental.run.counts.records_processed} "
              f"records re-read, {incremental.stats.requests} requests")
        staged = db.query("SELECT COUNT(*) AS n FROM staging_harvest_time_entries WHERE deleted_at IS NULL")[0]["n"]
        print(f"staged rows      : {staged:,}", flush=True)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        if not args.keep_db and "BENCH_DB_NAME" not in os.environ:
            db.execute(load_sql("bench/drop_scratch_database.sql").format(database=quote_identifier(db_name)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="200000,400000", help="comma-separated sizes of full syncs")
    parser.add_argument("--scale", default="medium", help="the world the entries live in (people, projects, days)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.scale, int(args.entries))
        return 0
    print(f"load average at start: {load_average()}")
    db_pid = mariadb_pid()
    for entries in (int(n) for n in args.entries.split(",") if n):
        bench_size(args, entries, db_pid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
