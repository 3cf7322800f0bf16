"""An analyst's query through the filtered analyst schema against the same query on the base table.

    .venv/bin/python -m bench.analyst_query --rows 1000000 --companies 10

Seeds `--rows` time entries spread over `--companies` companies (40 projects each, two years of days),
grants a real analyst login three of the companies, then times — alternating, `--repeat` times each, the
median kept — hours per project-month for one granted company:

* on the base table `time_entries` with a `company_id` predicate, as the pipeline's login;
* through `<DB_NAME>_analyst.time_entries` (the SQL SECURITY DEFINER view filtered by the login's companies),
  logged in as the analyst;
* the same pair through `v_project_hours_monthly` (the analysts' monthly view).

The goal: the filtered view within 1.2x of the base query, measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import statistics
import time
from typing import Any

import pymysql

from pipelines.reconcile.grants import grant_analyst
from resources.analyst_schema import analyst_schema_name
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import load_sql, quote_identifier, sql_statements
from tests.conftest import ROOT_SETTINGS, database_named, drop_database, new_database_name

GRANTED = 3  # companies the analyst reads; the query asks about one of them


def seed(db: Database, rows: int, companies: int) -> float:
    started = time.monotonic()
    conn = db.connect(read_timeout=3600)
    try:
        with conn.cursor() as cur:
            for statement in sql_statements("bench/analyst_seed.sql"):
                cur.execute(statement, {"rows": rows, "companies": companies})
                cur.fetchall()
        conn.commit()
    finally:
        conn.close()
    return time.monotonic() - started


def timed(conn: pymysql.connections.Connection, sql: str, company_id: int) -> tuple[float, list[tuple[Any, ...]]]:
    with conn.cursor() as cur:
        started = time.monotonic()
        cur.execute(sql, (company_id,))
        result = sorted(cur.fetchall())
        return time.monotonic() - started, result


def compare(base: pymysql.connections.Connection, analyst: pymysql.connections.Connection, file: str,
            base_source: str, analyst_source: str, company_id: int, repeat: int) -> dict[str, float]:
    base_sql = load_sql(file).format(source=base_source)
    analyst_sql = load_sql(file).format(source=analyst_source)
    base_times: list[float] = []
    analyst_times: list[float] = []
    timed(base, base_sql, company_id)  # warm the buffer pool for both
    for _ in range(repeat):
        t, expected = timed(base, base_sql, company_id)
        base_times.append(t)
        t, got = timed(analyst, analyst_sql, company_id)
        analyst_times.append(t)
        if got != expected:
            raise AssertionError(f"{file}: the analyst's rows differ from the base query's")
    b, a = statistics.median(base_times), statistics.median(analyst_times)
    return {"base_s": b, "analyst_s": a, "ratio": a / b, "groups": float(len(expected))}


def run(rows: int, companies: int, repeat: int) -> dict[str, Any]:
    name = new_database_name("ts_bench_analyst")
    db = database_named(name)
    db = Database(dataclasses.replace(db.settings, read_timeout=3600, write_timeout=3600))
    user, password = f"bench_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    try:
        migrate(db, log=lambda _line: None)
        seed_s = seed(db, rows, companies)
        keys = [r["company_key"] for r in db.query("SELECT company_key FROM companies ORDER BY id")]
        grant_analyst(db, user, password, tuple(keys[:GRANTED]))
        company_id = int(db.query("SELECT id FROM companies WHERE company_key = %s", (keys[1],))[0]["id"])
        per_company = int(db.query("SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s",
                                   (company_id,))[0]["n"])
        base = db.connect(read_timeout=3600)
        analyst = pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=user, password=password,
                                  database=analyst_schema_name(name), read_timeout=3600)
        schema = quote_identifier(analyst_schema_name(name))
        try:
            table = compare(base, analyst, "bench/analyst_hours_per_project_month.sql", "time_entries",
                            f"{schema}.time_entries", company_id, repeat)
            view = compare(base, analyst, "bench/analyst_monthly_view.sql", "v_project_hours_monthly",
                           f"{schema}.v_project_hours_monthly", company_id, repeat)
        finally:
            base.close()
            analyst.close()
        return {"rows": rows, "companies": companies, "per_company": per_company, "seed_s": seed_s,
                "table": table, "view": view}
    finally:
        try:
            db.execute(load_sql("grants/drop_analyst_user.sql"), (user, "%"))
        finally:
            drop_database(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=9)
    opts = parser.parse_args(argv)
    r = run(opts.rows, opts.companies, opts.repeat)
    print(f"{r['rows']:,} time entries over {r['companies']} companies ({r['per_company']:,} in the queried one;"
          f" seeded in {r['seed_s']:.1f}s); analyst granted {GRANTED} companies; median of {opts.repeat}")
    for label, key in (("hours per project-month, time_entries", "table"),
                       ("v_project_hours_monthly", "view")):
        m = r[key]
        verdict = "within" if m["ratio"] <= 1.2 else "OVER"
        print(f"  {label}: base {m['base_s'] * 1000:7.1f} ms | analyst view {m['analyst_s'] * 1000:7.1f} ms"
              f" | {m['ratio']:.2f}x ({verdict} 1.2x), {m['groups']:,.0f} groups")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
