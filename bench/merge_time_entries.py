"""Stage and merge N Harvest time entries into `time_entries`, against LOAD DATA of the same rows.

    .venv/bin/python -m bench.merge_time_entries --rows 1000000
    .venv/bin/python -m bench.merge_time_entries --sizes 200000,1000000   # one process per size (RSS)

Records are generated in the Harvest API shape, page by page (the API is not the bottleneck here), go
through the real staging writer (typing, raw JSON, md5, TSV, LOAD DATA LOCAL into staging) and the real
hash-only merge SQL. The limit each phase is compared with, in the same run: `LOAD DATA LOCAL INFILE` of
the very rows the merge produced into an identical, indexed table (`CREATE TABLE … LIKE time_entries`):
into an empty one for the first load, `REPLACE` into the full one for the re-run with 10% changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from pipelines.assets.harvest import harvest_vendor
from pipelines.reconcile.merges import MERGES, run_merge
from pipelines.reconcile.run import reconcile_company, utc_now
from resources.locks import ensure_company
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import load_sql, sql_statements
from resources.staging import StagingWriter, tsv_field
from tests.conftest import database_named, drop_database, new_database_name

PAGE = 2000
USERS, PROJECTS = 60, 120
HARVEST = harvest_vendor()
TABLES = {s.name: s.table for s in HARVEST.streams}
HARVEST_TIME_ENTRIES = next(m for m in MERGES if m.sql == "merge_time_entries_harvest.sql")
STAMP = "2024-01-01T00:00:00Z"
NOTES = ["Sprint work", "Code review", "Client call", None, "Tab\tand newline\n", "Emoji 🚀 and \\N"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(i: int, changed: bool) -> dict[str, Any]:
    user, project = 5_000_000 + i % USERS, 70_000_000 + (i * 7) % PROJECTS
    day = date(2023, 1, 2) + timedelta(days=i % 900)
    updated = datetime(2024, 6, 1) + timedelta(seconds=i)
    hours = 0.25 * (1 + i % 16)
    if changed:
        hours, updated = hours + 0.5, updated + timedelta(days=30)
    return {
        "id": 3_000_000_000 + i, "spent_date": day.isoformat(), "user": {"id": user, "name": f"User {user}"},
        "client": {"id": 900 + project % 40, "name": "Client"}, "project": {"id": project, "name": "Project"},
        "task": {"id": 8_300_000 + i % 6, "name": "Task"}, "hours": hours, "hours_without_timer": hours,
        "rounded_hours": hours, "notes": NOTES[i % len(NOTES)], "is_locked": i % 3 == 0, "is_closed": False,
        "is_billed": False, "is_running": False, "billable": i % 4 != 0, "budgeted": True,
        "billable_rate": 150.0, "cost_rate": 60.0, "invoice": None, "external_reference": None,
        "created_at": iso(updated - timedelta(hours=1)), "updated_at": iso(updated),
    }


def pages(n: int, changed_every: int = 0) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, n, PAGE):
        yield [entry(i, changed_every > 0 and i % changed_every == 0) for i in range(start, min(n, start + PAGE))]


def seed_dimensions(db: Database, company_id: int, sync_log_id: int) -> None:
    users = [{"id": 5_000_000 + u, "first_name": "User", "last_name": str(u), "email": f"u{u}@bench.test",
              "is_active": True, "is_contractor": False, "weekly_capacity": 144000, "updated_at": STAMP}
             for u in range(USERS)]
    projects = [{"id": 70_000_000 + p, "name": f"Project {p}", "code": f"BEN-{p:03d}", "is_active": True,
                 "client": {"id": 900 + p % 40}, "updated_at": STAMP} for p in range(PROJECTS)]
    clients = [{"id": 900 + c, "name": f"Client {c}", "is_active": True, "updated_at": STAMP} for c in range(40)]
    for stream, rows in (("users", users), ("projects", projects), ("clients", clients)):
        with StagingWriter(db, TABLES[stream], company_id, sync_log_id) as writer:
            writer.add(rows)
    reconcile_company(db, company_id, log=lambda _line: None)


def stage_and_merge(db: Database, company_id: int, n: int, changed_every: int) -> tuple[float, float]:
    started = time.monotonic()
    with StagingWriter(db, TABLES["time_entries"], company_id, 1, batch_rows=20_000) as writer:
        for page in pages(n, changed_every):
            writer.add(page)
    staged = time.monotonic()
    conn = db.connect(read_timeout=3600)
    try:
        with conn.cursor() as cur:
            for statement in sql_statements("merge/session_settings.sql"):
                cur.execute(statement)
            run_merge(cur, HARVEST_TIME_ENTRIES, company_id, utc_now())
        conn.commit()
    finally:
        conn.close()
    return staged - started, time.monotonic() - staged


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


def run(n: int) -> dict[str, float]:
    name = new_database_name("ts_bench")
    db = database_named(name)
    db = Database(dataclasses.replace(db.settings, read_timeout=3600, write_timeout=3600))
    migrate(db, log=lambda _line: None)
    tsv = tempfile.NamedTemporaryFile(prefix="bench_te_", suffix=".tsv", delete=False).name
    try:
        company_id = ensure_company(db, "bench", "Bench")
        seed_dimensions(db, company_id, 1)
        for statement in sql_statements("bench/create_time_entries_copy.sql"):
            db.execute(statement)
        out: dict[str, float] = {"rows": n}
        out["first_stage_s"], out["first_merge_s"] = stage_and_merge(db, company_id, n, 0)
        export_rows(db, company_id, tsv)
        out["first_limit_s"] = load_limit(db, tsv, replace=False)
        out["rerun_stage_s"], out["rerun_merge_s"] = stage_and_merge(db, company_id, n, 10)
        export_rows(db, company_id, tsv)
        out["rerun_limit_s"] = load_limit(db, tsv, replace=True)
        out["changed_rows"] = db.query(load_sql("bench/count_changed.sql"), (company_id,))[0]["n"]
        out["peak_rss_mb"] = peak_rss_mb()
        return out
    finally:
        os.unlink(tsv)
        drop_database(name)


def report(r: dict[str, float]) -> None:
    n = r["rows"]
    first = r["first_stage_s"] + r["first_merge_s"]
    rerun = r["rerun_stage_s"] + r["rerun_merge_s"]
    print(f"rows {n:,.0f}: peak RSS {r['peak_rss_mb']:.0f} MB; re-run changed {r['changed_rows']:,.0f} rows")
    print(f"  first load stage {r['first_stage_s']:6.1f}s + merge {r['first_merge_s']:6.1f}s = {n / first:8,.0f} rows/s"
          f" | LOAD DATA into indexed copy {r['first_limit_s']:6.1f}s = {n / r['first_limit_s']:9,.0f} rows/s"
          f" | {first and r['first_limit_s'] / first:.0%} of the limit")
    print(f"  10% re-run stage {r['rerun_stage_s']:6.1f}s + merge {r['rerun_merge_s']:6.1f}s = {n / rerun:8,.0f} rows/s"
          f" | LOAD DATA REPLACE into full copy {r['rerun_limit_s']:6.1f}s = {n / r['rerun_limit_s']:9,.0f} rows/s"
          f" | {first / rerun:.1f}x faster than the first load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sizes", help="comma-separated sizes, each in its own process (peak RSS per size)")
    args = parser.parse_args(argv)
    if args.sizes:
        for size in args.sizes.split(","):
            subprocess.run([sys.executable, "-m", "bench.merge_time_entries", "--rows", size.strip()], check=True)
        return 0
    report(run(args.rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
