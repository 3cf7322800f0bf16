"""Stage and merge N Harvest time entries into `time_entries`, against LOAD DATA of the same rows, with and
without the history of time and money.

    .venv/bin/python -m bench.merge_time_entries --rows 1000000
    .venv/bin/python -m bench.merge_time_entries --sizes 200000,1000000   # one process per size (RSS)
    .venv/bin/python -m bench.merge_time_entries --rows 200000 --rounds 2  # without, with, with, without

The records are "already fetched": Harvest-shaped response bodies of 2,000 entries are written to
disk first (not timed). Each timed phase then runs the pipeline's own code: read and parse every
page (`decode_json`, the HTTP client's own decoder), `stage_listing` — a full listing: known rows,
row-hash skips, typing, TSV, LOAD DATA LOCAL into staging, the sweep — under a real sync_logs run, then
`reconcile_company` (crosswalk, every merge, counts into sync_logs), exactly as the reconcile asset.

The limit each phase is compared with, in the same run: `LOAD DATA LOCAL INFILE` of the very rows the
merge produced into an identical, indexed table (`CREATE TABLE … LIKE time_entries`): into an empty
one for the first load, `REPLACE` into the full one for the re-run with 10% changed. The re-run lists
all N records again (a nightly full listing); a last phase changes another tenth and stages only those
records, as the hourly incremental sync receives them.

History: every phase runs twice in the same process, each variant in a fresh database of its own on the
same pages: once with the reconcile's history (`reconcile_company`'s default: a version of every changed
time entry into `time_entry_versions`, pipelines/reconcile/history.py) and once without
(`history=False`, which exists for this comparison only). The report gives each phase's time with and
without and their ratio (the goal: ≤ 1.25× for the first load and for the 10% re-run). `--rounds k` runs
k pairs, alternating which variant goes first, and reports the median of each.

The server is given the configuration `../shared/mysql_and_tunnel.md` measured the limits with
(2 GB buffer pool, 512 MB redo log) for the run and restored afterwards; `--server-as-is` keeps it.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pymysql

from pipelines.assets.factory import stage_listing
from pipelines.assets.harvest import harvest_vendor
from pipelines.reconcile.run import reconcile_company
from resources.http import decode_json
from resources.locks import ensure_company
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import load_sql, sql_statements
from resources.staging import tsv_field
from resources.staging_known import Scope
from resources.sync_log import SyncCounts, SyncLogs
from tests.conftest import database_named, drop_database, new_database_name

PAGE = 2000
USERS, PROJECTS = 60, 120
HARVEST = harvest_vendor()
TABLES = {s.name: s.table for s in HARVEST.streams}
# The configuration ../shared/mysql_and_tunnel.md measured the physical limits with.
REFERENCE_SERVER = {"innodb_buffer_pool_size": 2 * 1024**3, "innodb_log_file_size": 512 * 1024**2}
STAMP = "2024-01-01T00:00:00Z"
NOTES = ["Sprint work", "Code review", "Client call", None, "Tab\tand newline\n", "Emoji 🚀 and \\N"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(i: int, version: int) -> dict[str, Any]:
    user, project = 5_000_000 + i % USERS, 70_000_000 + (i * 7) % PROJECTS
    day = date(2023, 1, 2) + timedelta(days=i % 900)
    updated = datetime(2024, 6, 1) + timedelta(seconds=i)
    hours = 0.25 * (1 + i % 16)
    if version:
        hours, updated = hours + 0.5 * version, updated + timedelta(days=30 * version)
    return {
        "id": 3_000_000_000 + i, "spent_date": day.isoformat(), "user": {"id": user, "name": f"User {user}"},
        "client": {"id": 900 + project % 40, "name": "Client"}, "project": {"id": project, "name": "Project"},
        "task": {"id": 8_300_000 + i % 6, "name": "Task"}, "hours": hours, "hours_without_timer": hours,
        "rounded_hours": hours, "notes": NOTES[i % len(NOTES)], "is_locked": i % 3 == 0, "is_closed": False,
        "is_billed": False, "is_running": False, "billable": i % 4 != 0, "budgeted": True,
        "billable_rate": 150.0, "cost_rate": 60.0, "invoice": None, "external_reference": None,
        "created_at": iso(updated - timedelta(hours=1)), "updated_at": iso(updated),
    }


def write_pages(directory: Path, ids: range | list[int], version: int = 0,
                changed: Callable[[int], bool] = lambda _i: False) -> list[Path]:
    """Harvest-shaped response bodies on disk, as fetched (not timed): the entries `ids`, those
    `changed` says at `version`, the others at version 0."""
    paths = []
    n = len(ids)
    total_pages = (n + PAGE - 1) // PAGE
    for number, start in enumerate(range(0, n, PAGE), start=1):
        entries = [entry(i, version if changed(i) else 0) for i in ids[start:start + PAGE]]
        body = {"time_entries": entries, "per_page": PAGE, "total_pages": total_pages, "total_entries": n,
                "next_page": number + 1 if number < total_pages else None, "previous_page": number - 1 or None,
                "page": number, "links": {}}
        path = directory / f"page_{number:05d}.json"
        path.write_bytes(orjson.dumps(body))
        paths.append(path)
    return paths


def read_pages(paths: list[Path]) -> Iterator[list[dict[str, Any]]]:
    for path in paths:
        yield decode_json(path.read_bytes())["time_entries"]


def seed_dimensions(db: Database, company_id: int) -> None:
    users = [{"id": 5_000_000 + u, "first_name": "User", "last_name": str(u), "email": f"u{u}@bench.test",
              "is_active": True, "is_contractor": False, "weekly_capacity": 144000, "updated_at": STAMP}
             for u in range(USERS)]
    projects = [{"id": 70_000_000 + p, "name": f"Project {p}", "code": f"BEN-{p:03d}", "is_active": True,
                 "client": {"id": 900 + p % 40}, "updated_at": STAMP} for p in range(PROJECTS)]
    clients = [{"id": 900 + c, "name": f"Client {c}", "is_active": True, "updated_at": STAMP} for c in range(40)]
    for stream, rows in (("users", users), ("projects", projects), ("clients", clients)):
        with SyncLogs(db).tracked(company_id=company_id, system_name="harvest", stream=stream, sync_type="full") as run:
            stage_listing(db, TABLES[stream], company_id, run, [rows], Scope(), sweep=True)
    reconcile_company(db, company_id, log=lambda _line: None)


def stage(db: Database, company_id: int, paths: list[Path], complete: bool = True) -> tuple[float, SyncCounts]:
    """Every page into staging, as the time_entries asset runs a full listing (`complete`) or an
    incremental one (only what changed since the watermark: no known rows, no sweep)."""
    started = time.monotonic()
    with SyncLogs(db).tracked(company_id=company_id, system_name="harvest", stream="time_entries",
                              sync_type="full" if complete else "incremental") as run:
        stage_listing(db, TABLES["time_entries"], company_id, run, read_pages(paths),
                      Scope() if complete else None, sweep=complete)
    return time.monotonic() - started, run.counts


def merge(db: Database, company_id: int, history: bool) -> tuple[float, SyncCounts]:
    started = time.monotonic()
    outcome = reconcile_company(db, company_id, log=lambda _line: None, history=history)
    return time.monotonic() - started, outcome.counts["time_entries"]


def versions(db: Database, company_id: int) -> int:
    return int(db.query(load_sql("bench/count_versions.sql"), (company_id,))[0]["n"])


@contextmanager
def reference_server(db: Database, wanted: dict[str, int]) -> Iterator[dict[str, int]]:
    """Raise the server's settings to `wanted` for the run (never lower them) and restore them after."""
    before = {k: int(v) for k, v in db.query(load_sql("bench/read_server_settings.sql"))[0].items()}
    during = {k: max(before[k], wanted[k]) for k in wanted}
    db.execute(load_sql("bench/set_server_settings.sql"), during)
    time.sleep(2)  # the buffer pool grows in the background
    try:
        yield during
    finally:
        try:
            db.execute(load_sql("bench/set_server_settings.sql"), before)
        except pymysql.err.OperationalError as exc:
            # MariaDB aborts shrinking a buffer pool whose pages are in use (1221); larger is harmless.
            print(f"could not restore the server settings {before}: {exc.args[-1]}", file=sys.stderr)


def export_rows(db: Database, company_id: int, path: str) -> None:
    """The merged rows as TSV, streamed (an unbuffered cursor keeps memory flat)."""
    import pymysql.cursors

    conn = db.connect(read_timeout=3600, cursorclass=pymysql.cursors.SSCursor)
    try:
        with conn.cursor() as cur, open(path, "w", encoding="utf-8", newline="\n") as fh:
            cur.execute(load_sql("bench/select_time_entries.sql"), (company_id,))
            for row in cur:
                fh.write("\t".join(tsv_field(v) if not isinstance(v, bytes) else v.hex() for v in row))
                fh.write("\n")
    finally:
        conn.close()


def load_limit(db: Database, path: str, replace: bool) -> float:
    conn = db.connect(read_timeout=3600)
    try:
        with conn.cursor() as cur:
            started = time.monotonic()
            cur.execute(load_sql("bench/load_time_entries_copy.sql").format(mode="REPLACE" if replace else "IGNORE"),
                        (path,))
            conn.commit()
            return time.monotonic() - started
    finally:
        conn.close()


@dataclasses.dataclass(frozen=True)
class Pages:
    """The three phases' response bodies, written once and read by every variant."""

    first: list[Path]
    changed: list[Path]
    incremental: list[Path]

    @classmethod
    def write(cls, workdir: Path, n: int) -> Pages:
        for name in ("first", "changed", "incremental"):
            (workdir / name).mkdir()
        return cls(first=write_pages(workdir / "first", range(n)),
                   changed=write_pages(workdir / "changed", range(n), 1, lambda i: i % 10 == 0),
                   # Another tenth changes, and the hourly incremental sync receives only those records.
                   incremental=write_pages(workdir / "incremental", range(5, n, 10), 2, lambda _i: True))


def run(n: int, tune_server: bool, history: bool, pages: Pages, workdir: Path) -> dict[str, Any]:
    """Every phase in a fresh database of its own, with or without the reconcile's history."""
    name = new_database_name("ts_bench")
    db = database_named(name)
    db = Database(dataclasses.replace(db.settings, read_timeout=3600, write_timeout=3600))
    migrate(db, log=lambda _line: None)
    tsv = str(workdir / "limit.tsv")
    try:
        company_id = ensure_company(db, "bench", "Bench")
        seed_dimensions(db, company_id)
        for statement in sql_statements("bench/create_time_entries_copy.sql"):
            db.execute(statement)
        out: dict[str, Any] = {"rows": n, "history": history}
        with reference_server(db, REFERENCE_SERVER) if tune_server else _as_is(db) as settings:
            out["server"] = settings
            out["first_stage_s"], out["first_staged"] = stage(db, company_id, pages.first)
            out["first_merge_s"], out["first_merged"] = merge(db, company_id, history)
            out["first_versions"] = versions(db, company_id)
            export_rows(db, company_id, tsv)
            out["first_limit_s"] = load_limit(db, tsv, replace=False)
            out["rerun_stage_s"], out["rerun_staged"] = stage(db, company_id, pages.changed)
            out["rerun_merge_s"], out["rerun_merged"] = merge(db, company_id, history)
            out["rerun_versions"] = versions(db, company_id) - out["first_versions"]
            export_rows(db, company_id, tsv)
            out["rerun_limit_s"] = load_limit(db, tsv, replace=True)
            out["changed_rows"] = db.query(load_sql("bench/count_changed.sql"), (company_id,))[0]["n"]
            out["incremental_stage_s"], out["incremental_staged"] = stage(db, company_id, pages.incremental,
                                                                          complete=False)
            out["incremental_merge_s"], out["incremental_merged"] = merge(db, company_id, history)
            out["incremental_versions"] = (versions(db, company_id) - out["first_versions"]
                                           - out["rerun_versions"])
        out["peak_rss_mb"] = peak_rss_mb()
        return out
    finally:
        drop_database(name)


def settle(timeout_s: float = 120.0, dirty_pages: int = 2000) -> None:
    """Write back what the previous variant left dirty (its dropped database, its last phase) before the next
    starts: measured at 1M, the second of two variants started right away ran every phase, LOAD DATA into the
    plain copy included, ~1.5x slower. MariaDB flushes lazily, so flushing is asked for, then restored."""
    probe = database_named("mysql")
    before = probe.query(load_sql("bench/read_dirty_pages_pct.sql"))[0]["pct"]
    probe.execute(load_sql("bench/flush_dirty_pages.sql"), {"pct": 0})
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if int(probe.query(load_sql("bench/dirty_pages.sql"))[0]["n"]) < dirty_pages:
                return
            time.sleep(1)
    finally:
        probe.execute(load_sql("bench/flush_dirty_pages.sql"), {"pct": before})


def run_pairs(n: int, tune_server: bool, rounds: int) -> list[dict[str, Any]]:
    """`rounds` pairs of runs on the same pages, alternating which variant goes first."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_te_"))
    try:
        pages = Pages.write(workdir, n)
        results = []
        for k in range(rounds):
            for history in ((False, True) if k % 2 == 0 else (True, False)):
                settle()
                results.append(run(n, tune_server, history, pages, workdir))
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _as_is(db: Database) -> Iterator[dict[str, int]]:
    yield {k: int(v) for k, v in db.query(load_sql("bench/read_server_settings.sql"))[0].items()}


def report(r: dict[str, Any]) -> None:
    n = r["rows"]
    first = r["first_stage_s"] + r["first_merge_s"]
    rerun = r["rerun_stage_s"] + r["rerun_merge_s"]
    server = ", ".join(f"{k}={v // 1024**2} MB" for k, v in r["server"].items())
    print(f"rows {n:,.0f} {'with' if r['history'] else 'without'} history ({server}): peak RSS "
          f"{r['peak_rss_mb']:.0f} MB; re-run changed {r['changed_rows']:,.0f} rows")
    for label, key, limit_label in (("first load", "first", "LOAD DATA into empty indexed copy"),
                                    ("10% re-run", "rerun", "LOAD DATA REPLACE into full copy")):
        staged, merged = r[f"{key}_staged"], r[f"{key}_merged"]
        total = r[f"{key}_stage_s"] + r[f"{key}_merge_s"]
        print(f"  {label}: stage {r[f'{key}_stage_s']:6.1f}s ({staged.records_processed - staged.unchanged:,} written,"
              f" {staged.unchanged:,} unchanged) + merge {r[f'{key}_merge_s']:6.1f}s ({merged.inserted:,} inserted,"
              f" {merged.updated:,} updated, {merged.records_processed:,} considered) = {n / total:8,.0f} rows/s"
              f" | {limit_label} {r[f'{key}_limit_s']:6.1f}s = {n / r[f'{key}_limit_s']:9,.0f} rows/s"
              f" | {r[f'{key}_limit_s'] / total:.0%} of the limit")
    print(f"  the 10% re-run is {first / rerun:.1f}x faster than the first load")
    staged, merged = r["incremental_staged"], r["incremental_merged"]
    incremental = r["incremental_stage_s"] + r["incremental_merge_s"]
    print(f"  incremental 10% run (only the changed records listed, as the hourly sync): stage"
          f" {r['incremental_stage_s']:.1f}s ({staged.records_processed:,} written) + merge"
          f" {r['incremental_merge_s']:.1f}s ({merged.updated:,} updated) = {first / incremental:.1f}x faster"
          " than the first load")


PHASES = (("first load", "first"), ("10% re-run", "rerun"), ("incremental 10%", "incremental"))


def report_history(results: list[dict[str, Any]]) -> None:
    """Each phase with and without history (medians over the rounds) and their ratio."""
    def median(history: bool, key: str) -> float:
        return statistics.median(r[key] for r in results if r["history"] == history)

    rounds = len(results) // 2
    print(f"history cost, rows {results[0]['rows']:,.0f}, {rounds} round{'s' * (rounds > 1)} (median), "
          "stage + merge of each phase with history against the same phase without, same pages:")
    for label, key in PHASES:
        times = {h: (median(h, f"{key}_stage_s"), median(h, f"{key}_merge_s")) for h in (False, True)}
        total = {h: sum(times[h]) for h in times}
        added = median(True, f"{key}_versions")  # versions the phase added
        print(f"  {label}: without {total[False]:6.2f}s (stage {times[False][0]:.2f} + merge {times[False][1]:.2f})"
              f" | with {total[True]:6.2f}s (stage {times[True][0]:.2f} + merge {times[True][1]:.2f},"
              f" {added:,.0f} versions) = {total[True] / total[False]:.3f}x"
              f" (merge alone {times[True][1] / times[False][1]:.3f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sizes", help="comma-separated sizes, each in its own process (peak RSS per size)")
    parser.add_argument("--server-as-is", action="store_true", help="do not apply the reference server settings")
    parser.add_argument("--rounds", type=int, default=1,
                        help="pairs of runs (without and with history, alternating which goes first)")
    args = parser.parse_args(argv)
    if args.sizes:
        for size in args.sizes.split(","):
            extra = ["--server-as-is"] if args.server_as_is else []
            subprocess.run([sys.executable, "-m", "bench.merge_time_entries", "--rows", size.strip(),
                            "--rounds", str(args.rounds), *extra], check=True)
        return 0
    results = run_pairs(args.rows, tune_server=not args.server_as_is, rounds=args.rounds)
    for r in results:
        report(r)
    report_history(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
