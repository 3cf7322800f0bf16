"""Every migration walked up → down → up on a database holding a synced, reconciled simulator world.

First an empty scratch database is migrated up one version at a time and its schema recorded after each
(the reference: what version N looks like). Then the world's database, at the latest version, walks down
one version at a time to the empty schema and back up, its schema compared with the reference after every
step (both `DB_NAME` and `DB_NAME_analyst`), and the tables a migration's files do not mention keep their
row counts.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from pipelines.reconcile.run import reconcile_company
from resources.analyst_schema import analyst_schema_name
from resources.migrations import EMPTY, DataLossRefused, Migration, available_migrations, migrate
from resources.mysql import Database
from resources.sql import quote_identifier
from tests.conftest import database_named, drop_database, new_database_name
from tests.reconcile.world_sync import quiet, world_in_own_database

BOOKKEEPING = ("schema_migrations", "schema_migration_steps")
Snapshot = dict[str, str]

# Each query reads one kind of object of the schemas %(schemas)s; the row's first column names the object
# (schema-qualified, so both schemas fit in one snapshot), the rest describe it.
SNAPSHOT_QUERIES: dict[str, str] = {
    "schema": """
        SELECT schema_name, default_character_set_name, default_collation_name
        FROM information_schema.schemata WHERE schema_name IN %(schemas)s""",
    "table": """
        SELECT CONCAT(table_schema, '.', table_name), table_type, engine, table_collation, table_comment
        FROM information_schema.tables WHERE table_schema IN %(schemas)s AND table_name NOT IN %(skip)s""",
    "column": """
        SELECT CONCAT(table_schema, '.', table_name, '.', column_name), ordinal_position, column_type, is_nullable,
               column_default, character_set_name, collation_name, extra, column_comment, generation_expression
        FROM information_schema.columns WHERE table_schema IN %(schemas)s AND table_name NOT IN %(skip)s""",
    "index": """
        SELECT CONCAT(table_schema, '.', table_name, '.', index_name), MAX(non_unique), MAX(index_type),
               GROUP_CONCAT(CONCAT(column_name, IFNULL(CONCAT('(', sub_part, ')'), ''))
                            ORDER BY seq_in_index SEPARATOR ', ')
        FROM information_schema.statistics WHERE table_schema IN %(schemas)s AND table_name NOT IN %(skip)s
        GROUP BY table_schema, table_name, index_name""",
    "foreign key": """
        SELECT CONCAT(k.table_schema, '.', k.table_name, '.', k.constraint_name),
               GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR ', '),
               MAX(CONCAT(k.referenced_table_schema, '.', k.referenced_table_name)),
               GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position SEPARATOR ', '),
               MAX(r.update_rule), MAX(r.delete_rule)
        FROM information_schema.key_column_usage k
        JOIN information_schema.referential_constraints r
          ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
         AND r.table_name = k.table_name
        WHERE k.table_schema IN %(schemas)s AND k.referenced_table_name IS NOT NULL
        GROUP BY k.table_schema, k.table_name, k.constraint_name""",
    # MariaDB's check_constraints names the table (a JSON column's implicit json_valid check is named after
    # the column, so the name alone repeats across tables).
    "check": """
        SELECT CONCAT(constraint_schema, '.', table_name, '.', constraint_name), level, check_clause
        FROM information_schema.check_constraints WHERE constraint_schema IN %(schemas)s""",
    "view": """
        SELECT CONCAT(table_schema, '.', table_name), view_definition, check_option, security_type, definer
        FROM information_schema.views WHERE table_schema IN %(schemas)s""",
    "trigger": """
        SELECT CONCAT(trigger_schema, '.', trigger_name), action_timing, event_manipulation, event_object_table,
               action_order, action_statement, definer
        FROM information_schema.triggers WHERE trigger_schema IN %(schemas)s""",
    "routine": """
        SELECT CONCAT(routine_schema, '.', routine_name), routine_type, dtd_identifier, is_deterministic,
               sql_data_access, security_type, routine_definition, definer
        FROM information_schema.routines WHERE routine_schema IN %(schemas)s""",
    "parameter": """
        SELECT CONCAT(specific_schema, '.', specific_name, '.', IFNULL(parameter_name, 'RETURNS')),
               ordinal_position, parameter_mode, dtd_identifier
        FROM information_schema.parameters WHERE specific_schema IN %(schemas)s""",
    "schema privilege": """
        SELECT CONCAT(table_schema, ' ', grantee, ' ', privilege_type), is_grantable
        FROM information_schema.schema_privileges WHERE table_schema IN %(schemas)s""",
    "table privilege": """
        SELECT CONCAT(table_schema, '.', table_name, ' ', grantee, ' ', privilege_type), is_grantable
        FROM information_schema.table_privileges WHERE table_schema IN %(schemas)s""",
    "column privilege": """
        SELECT CONCAT(table_schema, '.', table_name, '.', column_name, ' ', grantee, ' ', privilege_type),
               is_grantable
        FROM information_schema.column_privileges WHERE table_schema IN %(schemas)s""",
}


def schema_snapshot(db: Database) -> Snapshot:
    """`kind name` -> its description, for every object of DB_NAME and DB_NAME_analyst except the migration
    bookkeeping; the database's own name reads `<db>` so two databases at one version compare equal."""
    analyst = analyst_schema_name(db.name)
    params: dict[str, Any] = {"schemas": (db.name, analyst), "skip": BOOKKEEPING}
    snapshot: Snapshot = {}
    for kind, sql in SNAPSHOT_QUERIES.items():
        for row in db.query(sql, params):
            name, *described = [normalize(db.name, v) for v in row.values()]
            snapshot[f"{kind} {name}"] = " | ".join(described)
    return snapshot


def normalize(db_name: str, value: object) -> str:
    text = "NULL" if value is None else str(value)
    return re.sub(rf"(?<![A-Za-z0-9_$]){re.escape(db_name)}(?![A-Za-z0-9$])", "<db>", text)


def snapshot_diff(expected: Snapshot, actual: Snapshot) -> list[str]:
    """One line per difference: `- ` missing, `+ ` unexpected, `~ ` changed (expected -> actual)."""
    lines: list[str] = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            lines.append(f"- {key}: {expected[key]}")
        elif key not in expected:
            lines.append(f"+ {key}: {actual[key]}")
        elif expected[key] != actual[key]:
            lines.append(f"~ {key}:\n      {expected[key]}\n   -> {actual[key]}")
    return lines


def assert_schema(db: Database, expected: Snapshot, what: str) -> None:
    diff = snapshot_diff(expected, schema_snapshot(db))
    shown = "\n".join(diff[:60]) + (f"\n… and {len(diff) - 60} more" if len(diff) > 60 else "")
    assert not diff, f"{what}: {len(diff)} difference(s) (- missing, + unexpected, ~ changed):\n{shown}"


def row_counts(db: Database) -> dict[str, int]:
    tables = [r["t"] for r in db.query(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_type = 'BASE TABLE' AND table_name NOT IN %s", (BOOKKEEPING,))]
    return {t: int(db.query(f"SELECT COUNT(*) AS n FROM {quote_identifier(t)}")[0]["n"]) for t in tables}


def mentioned(m: Migration, tables: set[str]) -> set[str]:
    text = m.path.read_text(encoding="utf-8") + m.down_path.read_text(encoding="utf-8")
    return {t for t in tables if re.search(rf"\b{re.escape(t)}\b", text)}


def assert_untouched_keep_rows(before: dict[str, int], after: dict[str, int], m: Migration, what: str) -> None:
    kept = (before.keys() & after.keys()) - mentioned(m, set(before))
    changed = {t: (before[t], after[t]) for t in sorted(kept) if before[t] != after[t]}
    assert not changed, f"{what} changed the row counts of tables it does not mention: {changed}"


def drop_with_analyst(name: str) -> None:
    drop_database(analyst_schema_name(name))
    drop_database(name)


@pytest.fixture(scope="module")
def reference() -> Iterator[dict[str, Snapshot]]:
    """The schema after each version (and at 0000), from an empty database migrated one version at a time."""
    name = new_database_name()
    db = database_named(name)
    try:
        migrate(db, log=quiet, to=EMPTY)
        snapshots = {EMPTY: schema_snapshot(db)}
        for m in available_migrations():
            migrate(db, log=quiet, to=m.version)
            snapshots[m.version] = schema_snapshot(db)
        yield snapshots
    finally:
        drop_with_analyst(name)


def test_empty_and_latest_references_are_what_they_claim(reference: dict[str, Snapshot]) -> None:
    # The database itself, nothing in it but the bookkeeping (left out); no analyst schema.
    assert list(reference[EMPTY]) == ["schema <db>"]
    latest = reference[available_migrations()[-1].version]
    assert "table <db>.time_entries" in latest and "view <db>.v_time_entries" in latest
    assert any(k.startswith("check <db>.staging_harvest_users.raw_json") for k in latest)


def test_snapshot_covers_grants_and_prints_differences_readably() -> None:
    name = new_database_name()
    db, user = database_named(name), f"snap_{secrets.token_hex(3)}"
    analyst = quote_identifier(analyst_schema_name(name))
    try:
        migrate(db, log=quiet, to="0001")
        before = schema_snapshot(db)
        db.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{secrets.token_hex(8)}'")
        db.execute(f"GRANT SELECT ON {analyst}.* TO '{user}'@'%'")
        db.execute(f"GRANT SELECT (name) ON companies TO '{user}'@'%'")
        db.execute("ALTER TABLE companies MODIFY name VARCHAR(200) NOT NULL")
        assert snapshot_diff(before, schema_snapshot(db)) == [
            "~ column <db>.companies.name:\n      3 | varchar(255) | NO | NULL | utf8mb4 | utf8mb4_unicode_ci |  |  "
            "| NULL\n   -> 3 | varchar(200) | NO | NULL | utf8mb4 | utf8mb4_unicode_ci |  |  | NULL",
            f"+ column privilege <db>.companies.name '{user}'@'%' SELECT: NO",
            f"+ schema privilege <db>_analyst '{user}'@'%' SELECT: NO",
        ]
    finally:
        db.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        drop_with_analyst(name)


def test_every_migration_walks_down_and_up_over_a_synced_world(reference: dict[str, Snapshot]) -> None:
    migrations = available_migrations()
    versions = [EMPTY] + [m.version for m in migrations]
    below = dict(zip(versions[1:], versions[:-1], strict=True))
    with world_in_own_database() as world:
        db: Database = world["db"]
        try:
            reconcile_company(db, world["company_id"], log=quiet)
            latest = schema_snapshot(db)
            assert_schema(db, reference[migrations[-1].version], "the synced world at the latest version")
            counts = row_counts(db)
            assert counts["time_entries"] and counts["staging_harvest_time_entries"] and counts["companies"]

            # Without allow_data_loss the walk to 0000 refuses before it changes anything.
            with pytest.raises(DataLossRefused, match=r"table time_entries \([\d,]+ rows\)") as refused:
                migrate(db, log=quiet, to=EMPTY)
            assert "--allow-data-loss" in str(refused.value)
            assert snapshot_diff(latest, schema_snapshot(db)) == [] and row_counts(db) == counts

            for m in reversed(migrations):
                ran = migrate(db, log=quiet, to=below[m.version], allow_data_loss=True)
                assert ran == [m.down_path.name]
                assert_schema(db, reference[below[m.version]], f"after {m.down_path.name}")
                after = row_counts(db)
                assert_untouched_keep_rows(counts, after, m, m.down_path.name)
                counts = after

            for m in migrations:
                ran = migrate(db, log=quiet, to=m.version)
                assert ran == [m.path.name]
                assert_schema(db, reference[m.version], f"after re-applying {m.path.name}")
                after = row_counts(db)
                assert_untouched_keep_rows(counts, after, m, m.path.name)
                counts = after
            assert snapshot_diff(latest, schema_snapshot(db)) == []
        finally:
            drop_database(analyst_schema_name(db.name))
