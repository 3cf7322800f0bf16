"""Analysts read only their companies: real logins against `<DB_NAME>_analyst` over a database holding three
synced and reconciled simulator worlds (acme, globex, initech).

The module has a database of its own (analyst views are per database). Tests run in file order; those that
change grants restore them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest

from pipelines.reconcile.grants import GrantError, grant_analyst, revoke_analyst
from pipelines.reconcile.run import reconcile_company
from resources.analyst_schema import ANALYST_OBJECTS, TENANT_COLUMN, analyst_schema_name
from resources.locks import ensure_company
from resources.migrations import migrate
from resources.mysql import Database
from resources.sql import quote_identifier
from simulators.stack import start_stack
from tests.conftest import ROOT_SETTINGS, database_named, db_env, drop_database, new_database_name, run_cli
from tests.reconcile.world_sync import company_for, quiet, sync_all
from tests.sim_sync import SIM_RATE_LIMIT_SCALE

DENIED = {1142, 1143, 1044, 1045, 1227, 1356}  # table / column / database / login / privilege denied
WORLDS = ("acme", "globex", "initech")
# The objects a company's reconciled world fills: a count of 0 here would prove nothing.
FILLED = ("companies", "clients", "projects", "team_members", "time_entries", "jira_issues", "invoices",
          "payments", "project_assignments", "source_links", "sync_logs", "v_time_entries",
          "v_project_hours_monthly")


@dataclass
class Analyst:
    user: str
    password: str
    company_ids: set[int]


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    name = new_database_name()
    db = database_named(name)
    migrate(db, log=quiet)
    stack = start_stack(list(WORLDS), rate_limit_scale=SIM_RATE_LIMIT_SCALE)
    try:
        companies: dict[str, tuple[int, str, str]] = {}
        for w in WORLDS:
            company = company_for(stack, w)
            company_id = sync_all(db, company)
            reconcile_company(db, company_id, log=quiet)
            companies[w] = (company_id, company.key, company.name)
        analysts: dict[str, Analyst] = {}
        for label, worlds in (("one", ["acme"]), ("two", ["globex", "initech"]), ("all", None)):
            user, password = f"an_{label}_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
            keys = None if worlds is None else tuple(companies[w][1] for w in worlds)
            grant_analyst(db, user, password, keys)
            ids = {companies[w][0] for w in (worlds or WORLDS)}
            analysts[label] = Analyst(user, password, ids)
        yield {"db": db, "companies": companies, "analysts": analysts, "schema": analyst_schema_name(name)}
        for a in analysts.values():
            revoke_analyst(db, a.user)
    finally:
        stack.stop()
        drop_database(name)


def login(world: dict[str, Any], analyst: Analyst) -> pymysql.connections.Connection:
    return pymysql.connect(host=ROOT_SETTINGS.host, port=ROOT_SETTINGS.port, user=analyst.user,
                           password=analyst.password, database=world["schema"], autocommit=True)


def rows(conn: pymysql.connections.Connection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def error_of(conn: pymysql.connections.Connection, sql: str) -> pymysql.MySQLError | None:
    try:
        rows(conn, sql)
    except pymysql.MySQLError as exc:
        return exc
    return None


def base_count(db: Database, name: str, company_ids: set[int]) -> int:
    tenant = quote_identifier(TENANT_COLUMN.get(name, "company_id"))
    marks = ",".join(["%s"] * len(company_ids))
    got = db.query(f"SELECT COUNT(*) AS n FROM {quote_identifier(name)} WHERE {tenant} IN ({marks})",
                   tuple(company_ids))
    return int(got[0]["n"])


@pytest.mark.parametrize("label", ["one", "two", "all"])
def test_each_analyst_sees_exactly_its_companies_in_every_object(world: dict[str, Any], label: str) -> None:
    db, analyst = world["db"], world["analysts"][label]
    conn = login(world, analyst)
    try:
        visible = {r[0] for r in rows(conn, "SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = %s", (world["schema"],))}
        assert visible == set(ANALYST_OBJECTS)
        for name in sorted(visible):
            tenant = quote_identifier(TENANT_COLUMN.get(name, "company_id"))
            seen = dict(rows(conn, f"SELECT {tenant}, COUNT(*) FROM {quote_identifier(name)} GROUP BY {tenant}"))
            assert set(seen) <= analyst.company_ids, name
            assert sum(seen.values()) == base_count(db, name, analyst.company_ids), name
            if name in FILLED:
                assert set(seen) == analyst.company_ids, f"{name}: a granted company shows no rows"
    finally:
        conn.close()


def test_other_companies_are_unreachable_through_catalog_errors_and_predicates(world: dict[str, Any]) -> None:
    db, analyst = world["db"], world["analysts"]["one"]
    others = [c for w, c in world["companies"].items() if w != "acme"]
    conn = login(world, analyst)
    try:
        for company_id, _key, _name in others:
            assert rows(conn, "SELECT COUNT(*) FROM time_entries WHERE company_id = %s", (company_id,)) == [(0,)]
            assert rows(conn, "SELECT COUNT(*) FROM companies WHERE id = %s", (company_id,)) == [(0,)]
        # Nothing of DB_NAME in the catalog, and no view text to read.
        assert rows(conn, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s",
                    (db.name,)) == [(0,)]
        assert rows(conn, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = %s",
                    (db.name,)) == [(0,)]
        assert {r[0] for r in rows(conn, "SELECT view_definition FROM information_schema.views "
                                         "WHERE table_schema = %s", (world["schema"],))} <= {""}
        base = quote_identifier(db.name)
        failures = {
            "show create view": error_of(conn, "SHOW CREATE VIEW time_entries"),
            "base table": error_of(conn, f"SELECT * FROM {base}.time_entries LIMIT 1"),
            "base view": error_of(conn, f"SELECT * FROM {base}.v_time_entries LIMIT 1"),
            "mapping": error_of(conn, f"SELECT * FROM {base}.analyst_companies"),
            "staging": error_of(conn, f"SELECT * FROM {base}.staging_harvest_time_entries LIMIT 1"),
            "tokens": error_of(conn, f"SELECT * FROM {base}.oauth_tokens LIMIT 1"),
            "use base": error_of(conn, f"USE {base}"),
        }
        for what, exc in failures.items():
            assert exc is not None and exc.args[0] in DENIED, what
            text = str(exc)
            for _company_id, key, name in others:
                assert key not in text and name not in text, what
        for _company_id, key, name in others:
            probe = error_of(conn, f"SELECT * FROM time_entries WHERE company_id = (SELECT id FROM {base}.companies "
                                   f"WHERE company_key = '{key}')")
            assert probe is not None and probe.args[0] in DENIED
            assert key not in str(probe).replace(f"'{key}'", "") and name not in str(probe)
    finally:
        conn.close()


def test_every_write_is_refused(world: dict[str, Any]) -> None:
    conn = login(world, world["analysts"]["all"])
    base = quote_identifier(world["db"].name)
    try:
        for sql in ("UPDATE time_entries SET hours = 0", "DELETE FROM sync_logs",
                    "INSERT INTO companies (company_key, name) VALUES ('x', 'x')",
                    f"INSERT INTO {base}.analyst_companies (analyst_user, company_id) VALUES (CURRENT_USER(), 1)",
                    f"UPDATE {base}.time_entries SET hours = 0", "CREATE TABLE mine (x INT)",
                    "CREATE VIEW mine AS SELECT 1", "DROP VIEW time_entries"):
            exc = error_of(conn, sql)
            assert exc is not None and exc.args[0] in DENIED, sql
    finally:
        conn.close()


def test_company_added_later_stays_invisible_until_granted(world: dict[str, Any]) -> None:
    db, analysts = world["db"], world["analysts"]
    key = f"later_{secrets.token_hex(3)}"
    later_id = ensure_company(db, key, "Later Ltd")
    one, every = login(world, analysts["one"]), login(world, analysts["all"])
    try:
        assert rows(one, "SELECT COUNT(*) FROM companies WHERE id = %s", (later_id,)) == [(0,)]
        assert rows(every, "SELECT COUNT(*) FROM companies WHERE id = %s", (later_id,)) == [(1,)]
        acme_key = world["companies"]["acme"][1]
        grant_analyst(db, analysts["one"].user, analysts["one"].password, (acme_key, key))
        assert rows(one, "SELECT COUNT(*) FROM companies WHERE id = %s", (later_id,)) == [(1,)]
        grant_analyst(db, analysts["one"].user, analysts["one"].password, (acme_key,))
        assert rows(one, "SELECT COUNT(*) FROM companies WHERE id = %s", (later_id,)) == [(0,)]
    finally:
        one.close()
        every.close()


def test_regrant_changes_the_set_at_once_and_revoke_ends_access(world: dict[str, Any]) -> None:
    db, companies = world["db"], world["companies"]
    user, password = f"an_tmp_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    result = run_cli(["grant-analyst", user, f"--password={password}", "--company",
                      f"{companies['globex'][1]},{companies['initech'][1]}"], db_env(db))
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr
    analyst = Analyst(user, password, {companies["globex"][0], companies["initech"][0]})
    conn = login(world, analyst)
    try:
        assert {r[0] for r in rows(conn, "SELECT DISTINCT company_id FROM time_entries")} == analyst.company_ids
        result = run_cli(["grant-analyst", user, f"--password={password}", "--company", companies["globex"][1]],
                         db_env(db))
        assert result.returncode == 0, result.stderr
        # The same open session: the narrower set applies from its next query.
        assert {r[0] for r in rows(conn, "SELECT DISTINCT company_id FROM time_entries")} == {companies["globex"][0]}
        result = run_cli(["revoke-analyst", user], db_env(db))
        assert result.returncode == 0, result.stderr
        assert "1 open session(s) ended" in result.stdout
        assert error_of(conn, "SELECT COUNT(*) FROM time_entries") is not None
    finally:
        conn.close()
    with pytest.raises(pymysql.err.OperationalError) as caught:
        login(world, analyst)
    assert caught.value.args[0] in (1045, 1698)  # access denied (MariaDB answers 1698 for a dropped account)


def test_filtered_view_keeps_the_company_index(world: dict[str, Any]) -> None:
    """EXPLAIN through the filtered view: the view is merged (no derived table), time_entries is read as the
    same query on the base table with the company predicate reads it, the mapping through its primary key;
    a selective predicate reaches an index led by company_id."""
    db, schema = world["db"], quote_identifier(world["schema"])
    company_id = world["companies"]["acme"][0]
    day = db.query("SELECT MAX(spent_date) AS d FROM time_entries WHERE company_id = %s", (company_id,))[0]["d"]
    queries = {
        "project-month": ("SELECT project_id, DATE_FORMAT(spent_date, '%%Y-%%m') AS month, SUM(hours) FROM {t} "
                          "WHERE company_id = %s GROUP BY project_id, month", (company_id,)),
        "one day": ("SELECT SUM(hours) FROM {t} WHERE company_id = %s AND spent_date = %s", (company_id, day)),
    }
    # EXPLAIN of a definer view needs SHOW VIEW, which analysts lack: explain as the pipeline's login, mapped
    # to the company for the occasion (a login without companies makes the plan "Impossible WHERE").
    me = db.query("SELECT SUBSTRING_INDEX(USER(), '@', 1) AS u")[0]["u"]
    db.execute("INSERT INTO analyst_logins (analyst_user) VALUES (%s)", (me,))
    db.execute("INSERT INTO analyst_companies (analyst_user, company_id) VALUES (%s, %s)", (me, company_id))
    try:
        plans = {what: (db.query("EXPLAIN " + sql.format(t=f"{schema}.time_entries"), params),
                        db.query("EXPLAIN " + sql.format(t="time_entries"), params))
                 for what, (sql, params) in queries.items()}
    finally:
        db.execute("DELETE FROM analyst_logins WHERE analyst_user = %s", (me,))
    first_columns = {r["Key_name"]: r["Column_name"]
                     for r in db.query("SHOW INDEX FROM time_entries WHERE Seq_in_index = 1")}
    for what, (through_view, on_base) in plans.items():
        assert all(step["select_type"] != "DERIVED" for step in through_view), (what, through_view)
        by_table = {step["table"]: step for step in through_view}
        base_step = next(step for step in on_base if step["table"] == "time_entries")
        assert (by_table["r"]["type"], by_table["r"]["key"]) == (base_step["type"], base_step["key"]), what
        assert by_table["g"]["key"] == "PRIMARY" and by_table["g"]["type"] in ("eq_ref", "ref", "const"), what
    narrow = {step["table"]: step for step in plans["one day"][0]}["r"]
    assert narrow["type"] in ("ref", "range") and first_columns[narrow["key"]] == "company_id", narrow


def test_names_and_keys_are_validated(world: dict[str, Any]) -> None:
    db = world["db"]
    for bad in ("x'; DROP TABLE companies; --", "a b", "1abc", "x" * 33):
        with pytest.raises(GrantError, match="analyst name"):
            grant_analyst(db, bad, "pw", None)
    with pytest.raises(GrantError, match="no such company: nope"):
        grant_analyst(db, "an_nobody", "pw", ("nope",))
    assert db.query("SELECT COUNT(*) AS n FROM analyst_logins WHERE analyst_user = 'an_nobody'")[0]["n"] == 0
    env = db_env(db)
    result = run_cli(["grant-analyst", "an_nobody", "--password=pw", "--company", "a';--"], env)
    assert result.returncode == 2 and "not a company key" in result.stderr
    result = run_cli(["grant-analyst", "an_nobody", "--password=pw"], env)
    assert result.returncode == 2 and "--company" in result.stderr and "--all-companies" in result.stderr
    assert db.query("SELECT COUNT(*) AS n FROM mysql.user WHERE user = 'an_nobody'")[0]["n"] == 0
