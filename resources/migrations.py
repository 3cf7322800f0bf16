"""Checksummed, reversible, resumable migrations: staging_sql/migrations/NNNN_<name>.sql (up) and
NNNN_<name>.down.sql (down) beside it.

`schema_migrations` records each applied migration with the sha256 of its up file; an applied file that was
edited since is refused. MySQL DDL commits implicitly, so a migration failing at statement k has applied
statements 1..k-1: each completed statement is recorded in `schema_migration_steps` (with the sha256 of its
text), and the next run skips the recorded statements whose text is unchanged and resumes at the first other
one. A down that would drop rows or column values refuses unless data loss is allowed. Every run ends by
re-deriving the analyst schema from the base schema as it now stands.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pymysql

from resources.analyst_schema import refresh_analyst_schema
from resources.locks import LockBusy, named_lock
from resources.mysql import Database
from resources.sql import SQL_ROOT, load_sql, quote_identifier, split_statements

MIGRATIONS_DIR = SQL_ROOT / "migrations"
UP_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
DOWN_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.down\.sql$")
LOCK_TIMEOUT_SECONDS = 300
UP, DOWN = "up", "down"
EMPTY = "0000"  # the version before the first migration: `--to 0`
UNKNOWN_DATABASE = 1049
PREVIEW_CHARS = 80


class MigrationError(RuntimeError):
    pass


class DataLossRefused(MigrationError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    down_path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        """sha256 of the up file: what schema_migrations records (deployed databases hold these)."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def file(self, direction: str) -> Path:
        return self.path if direction == UP else self.down_path

    def statements(self, direction: str) -> list[str]:
        return split_statements(self.file(direction).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Applied:
    version: str
    name: str
    checksum: str
    applied_at: datetime | None


@dataclass(frozen=True)
class Step:
    """One migration to run in one direction; `done` leading statements completed in an earlier run."""

    migration: Migration
    direction: str
    statements: list[str]
    done: int

    @property
    def file_name(self) -> str:
        return self.migration.file(self.direction).name


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    state: str  # applied | pending | half-applied (k of n statements) | half-reverted (…) | applied, no file
    checksum: str | None  # of the up file as it is now
    recorded_checksum: str | None  # as applied
    applied_at: datetime | None

    @property
    def edited(self) -> bool:
        return None not in (self.checksum, self.recorded_checksum) and self.checksum != self.recorded_checksum


# ---------------------------------------------------------------------------------------------- files


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration of `directory` in order, each paired with its down file."""
    ups: dict[str, tuple[str, Path]] = {}
    downs: dict[str, tuple[str, Path]] = {}
    for path in sorted(directory.glob("*.sql")):
        if match := DOWN_FILE.match(path.name):
            found = downs
        elif match := UP_FILE.match(path.name):
            found = ups
        else:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql "
                                 "and NNNN_lower_snake.down.sql")
        version, name = match.group(1), match.group(2)
        if version in found:
            raise MigrationError(f"duplicate migration number {version} in {directory}: "
                                 f"{found[version][1].name} and {path.name}")
        found[version] = (name, path)
    for version, (name, path) in sorted(downs.items()):
        if ups.get(version, (None,))[0] != name:
            raise MigrationError(f"{path.name} has no up file {version}_{name}.sql beside it")
    migrations: list[Migration] = []
    for version, (name, path) in sorted(ups.items()):
        if version not in downs:
            raise MigrationError(f"{path.name} has no down file: add {version}_{name}.down.sql beside it "
                                 "(every migration can be undone)")
        migrations.append(Migration(version, name, path, downs[version][1]))
    return migrations


def statement_hash(statement: str) -> str:
    return hashlib.sha256(statement.encode("utf-8")).hexdigest()


def normalize_version(to: str | int, migrations: list[Migration]) -> str:
    """`to` as a four-digit version that exists (or 0000, the empty schema)."""
    text = str(to).strip()
    if not text.isdigit() or len(text) > 4:
        raise MigrationError(f"--to {to!r}: a migration number such as 0031 (or 0 for the empty schema)")
    version = f"{int(text):04d}"
    known = [m.version for m in migrations]
    if version != EMPTY and version not in known:
        raise MigrationError(f"--to {to}: no migration {version} (there are {', '.join(known) or 'none'})")
    return version


# ---------------------------------------------------------------------------------------------- state


def ensure_database(db: Database) -> None:
    def work(conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(load_sql("migrate/create_database.sql").format(name=quote_identifier(db.name)))
        conn.commit()

    db.run(work, with_database=False)


def bookkeeping_tables(cur: pymysql.cursors.Cursor) -> set[str]:
    cur.execute(load_sql("migrate/bookkeeping_tables.sql"))
    return {str(row[0]) for row in cur.fetchall()}


def read_applied(cur: pymysql.cursors.Cursor) -> dict[str, Applied]:
    cur.execute(load_sql("migrate/applied.sql"))
    return {row[0]: Applied(row[0], row[1], row[2], row[3]) for row in cur.fetchall()}


def read_steps(cur: pymysql.cursors.Cursor) -> dict[tuple[str, str], dict[int, str]]:
    """(version, direction) -> {statement number: sha256 of its text} of completed statements."""
    cur.execute(load_sql("migrate/steps.sql"))
    steps: dict[tuple[str, str], dict[int, str]] = {}
    for version, direction, step, digest in cur.fetchall():
        steps.setdefault((version, direction), {})[int(step)] = digest
    return steps


def applied_migrations(conn: pymysql.connections.Connection) -> dict[str, tuple[str, str]]:
    with conn.cursor() as cur:
        return {v: (a.name, a.checksum) for v, a in read_applied(cur).items()}


def check_applied(applied: dict[str, tuple[str, str]], migrations: list[Migration]) -> list[Migration]:
    """The migrations still to apply; refuses edited applied files."""
    pending: list[Migration] = []
    for m in migrations:
        if m.version not in applied:
            pending.append(m)
            continue
        _, checksum = applied[m.version]
        if checksum != m.checksum:
            raise MigrationError(
                f"migration {m.path.name} was already applied with checksum {checksum[:12]}… but the file "
                f"now has {m.checksum[:12]}…; applied migrations are never edited — add a new one instead"
            )
    return pending


def pending_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = available_migrations(directory)

    def work(conn: pymysql.connections.Connection) -> list[Migration]:
        with conn.cursor() as cur:
            if "schema_migrations" not in bookkeeping_tables(cur):
                return migrations
        return check_applied(applied_migrations(conn), migrations)

    return db.run(work)


# ---------------------------------------------------------------------------------------------- planning


def completed_prefix(statements: list[str], recorded: dict[int, str]) -> int:
    """How many leading statements an earlier run completed with the same text (resume after them)."""
    done = 0
    for number, statement in enumerate(statements, 1):
        if recorded.get(number) != statement_hash(statement):
            break
        done = number
    return done


def half_done(version: str, direction: str, recorded: dict[int, str], migrations: list[Migration]) -> str:
    m = next((m for m in migrations if m.version == version), None)
    file = m.file(direction).name if m else f"migration {version}"
    total = f" of {len(m.statements(direction))}" if m else ""
    if direction == UP:
        return (f"{file} is half-applied ({len(recorded)}{total} statements ran); finish it with "
                f"`timesync migrate --to {version}` (after fixing the file) before moving elsewhere")
    below = max([x.version for x in migrations if x.version < version], default=EMPTY)
    return (f"{file} is half-reverted ({len(recorded)}{total} statements ran); finish the down with "
            f"`timesync migrate --to {below}` before migrating up")


def plan(migrations: list[Migration], applied: dict[str, Applied], steps: dict[tuple[str, str], dict[int, str]],
         target: str | None) -> list[Step]:
    """The downs (newest first), then the ups (oldest first) that bring the schema to `target`.

    `target` None means the latest migration, moving up only (as `timesync migrate` always did): a version
    recorded by newer code and absent here is left alone."""
    check_applied({v: (a.name, a.checksum) for v, a in applied.items()}, migrations)
    by_version = {m.version: m for m in migrations}
    ups = [m for m in migrations if m.version not in applied and (target is None or m.version <= target)]
    downs: list[Migration] = []
    if target is not None:
        for version in sorted((v for v in applied if v > target), reverse=True):
            if version not in by_version:
                raise MigrationError(f"migration {version}_{applied[version].name} is applied but its files are "
                                     "not here; cannot move below it with this code")
            downs.append(by_version[version])
    # A migration that stopped halfway must be finished in the direction it was going before anything else.
    for (version, direction), recorded in sorted(steps.items()):
        stopped_halfway = (version in applied) == (direction == DOWN)
        moving = downs if direction == DOWN else ups
        if stopped_halfway and all(m.version != version for m in moving):
            raise MigrationError(half_done(version, direction, recorded, migrations))
    planned = [(m, DOWN) for m in downs] + [(m, UP) for m in ups]
    out: list[Step] = []
    for m, direction in planned:
        statements = m.statements(direction)
        out.append(Step(m, direction, statements, completed_prefix(statements, steps.get((m.version, direction), {}))))
    return out


# ---------------------------------------------------------------------------------------------- data-loss guard

NAME = r"(?:`[^`]+`|[A-Za-z0-9_$]+)"
DROP_TABLE = re.compile(rf"^DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(?P<names>{NAME}(?:\.{NAME})?"
                        rf"(?:\s*,\s*{NAME}(?:\.{NAME})?)*)\s*(?:RESTRICT|CASCADE)?\s*$", re.IGNORECASE)
ALTER_TABLE = re.compile(rf"^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?"
                         rf"(?P<table>{NAME}(?:\.{NAME})?)\s+(?P<clauses>.*)$", re.IGNORECASE | re.DOTALL)
DROP_COLUMN = re.compile(rf"^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?P<column>{NAME})", re.IGNORECASE)
# DROP followed by one of these drops something other than a column (and so no data).
NOT_A_COLUMN = {"KEY", "INDEX", "FOREIGN", "PRIMARY", "CONSTRAINT", "CHECK", "PARTITION", "UNIQUE", "SYSTEM",
                "PERIOD"}


def unquote(name: str) -> str:
    """The object name of `name`, `name` or schema.name (downs drop objects of the migrated database)."""
    last = re.findall(NAME, name)[-1]
    return last[1:-1] if last.startswith("`") else last


def top_level_clauses(text: str) -> list[str]:
    """`text` split on commas outside parentheses and quotes: the clauses of one ALTER TABLE."""
    clauses: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            clauses.append(text[start:i].strip())
            start = i + 1
    clauses.append(text[start:].strip())
    return [c for c in clauses if c]


def dropped_objects(statement: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The tables and the (table, column)s one statement drops: DROP TABLE … and ALTER TABLE … DROP [COLUMN] …"""
    if match := DROP_TABLE.match(statement):
        return [unquote(n) for n in match.group("names").split(",")], []
    columns: list[tuple[str, str]] = []
    if match := ALTER_TABLE.match(statement):
        table = unquote(match.group("table"))
        for clause in top_level_clauses(match.group("clauses")):
            dropped = DROP_COLUMN.match(clause)
            if dropped and dropped.group("column").upper() not in NOT_A_COLUMN:
                columns.append((table, unquote(dropped.group("column"))))
    return [], columns


def count(cur: pymysql.cursors.Cursor, sql_file: str, **names: str) -> int:
    cur.execute(load_sql(sql_file).format(**{k: quote_identifier(v) for k, v in names.items()}))
    return int(cur.fetchone()[0])


def rows_text(rows: int) -> str:
    return f"{rows:,} row" + ("" if rows == 1 else "s")


def data_losses(cur: pymysql.cursors.Cursor, steps: list[Step]) -> list[str]:
    """What the downs of `steps` would drop that holds data, one phrase per down file."""
    cur.execute(load_sql("migrate/tables.sql"))
    tables = {str(name): str(kind) for name, kind in cur.fetchall()}
    cur.execute(load_sql("migrate/columns.sql"))
    columns = {(str(t), str(c)) for t, c in cur.fetchall()}
    losses: list[str] = []
    for step in steps:
        if step.direction != DOWN:
            continue
        lost: list[str] = []
        for statement in step.statements[step.done:]:
            dropped_tables, dropped_columns = dropped_objects(statement)
            for table in dropped_tables:
                if tables.get(table) == "BASE TABLE" and (rows := count(cur, "migrate/count_rows.sql", table=table)):
                    lost.append(f"table {table} ({rows_text(rows)})")
            for table, column in dropped_columns:
                if (table, column) in columns and (
                        rows := count(cur, "migrate/count_values.sql", table=table, column=column)):
                    lost.append(f"column {table}.{column} ({rows_text(rows)} with a value)")
        if lost:
            losses.append(f"{step.file_name} would drop {', '.join(lost)}")
    return losses


def refuse_data_loss(cur: pymysql.cursors.Cursor, steps: list[Step]) -> None:
    if losses := data_losses(cur, steps):
        raise DataLossRefused("; ".join(losses) + "; re-run with --allow-data-loss to drop them")


# ---------------------------------------------------------------------------------------------- running


def preview(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + "…"


def run_step(conn: pymysql.connections.Connection, step: Step, log: Callable[[str], None]) -> None:
    """Run the statements of `step` an earlier run did not complete, recording each; then record the
    migration as applied (up) or remove it (down) and forget its steps, in one transaction."""
    m, total = step.migration, len(step.statements)
    started = time.monotonic()
    if step.done:
        log(f"{step.file_name}: statements 1-{step.done} of {total} completed in an earlier run; "
            f"resuming at statement {step.done + 1}")
    with conn.cursor() as cur:
        for number, statement in enumerate(step.statements[step.done:], step.done + 1):
            try:
                cur.execute(statement)
            except pymysql.MySQLError as exc:
                conn.rollback()
                earlier = f"statements 1-{number - 1} are applied and recorded, " if number > 1 else ""
                raise MigrationError(
                    f"{step.file_name} failed at statement {number} of {total} ({preview(statement)}): "
                    f"{exc.args[-1]}; {earlier}the next run resumes at statement {number}") from exc
            cur.execute(load_sql("migrate/record_step.sql"), (m.version, step.direction, number,
                                                               statement_hash(statement)))
            conn.commit()  # a DML statement commits with its step; a DDL one has committed already
        if step.direction == UP:
            cur.execute(load_sql("migrate/record_applied.sql"),
                        (m.version, m.name, m.checksum, int((time.monotonic() - started) * 1000)))
        else:
            cur.execute(load_sql("migrate/forget_applied.sql"), (m.version,))
        cur.execute(load_sql("migrate/clear_steps.sql"), (m.version,))
    conn.commit()
    log(f"{'applied' if step.direction == UP else 'reverted'} {step.file_name}")


def refresh_analyst(db: Database) -> None:
    try:
        refresh_analyst_schema(db)
    except (pymysql.MySQLError, RuntimeError) as exc:
        detail = exc.args[-1] if isinstance(exc, pymysql.MySQLError) and exc.args else exc
        raise MigrationError(f"the schema is migrated, but refreshing the analyst schema failed: {detail}") from exc


def migrate(db: Database, directory: Path = MIGRATIONS_DIR, log: Callable[[str], None] = print, *,
            to: str | int | None = None, allow_data_loss: bool = False) -> list[str]:
    """Bring the schema to migration `to` (default: the latest, up only), applying ups and reverting downs.

    Returns the files run, in order (`NNNN_x.sql` for an up, `NNNN_x.down.sql` for a down; empty when
    already there). A down that would drop rows or column values refuses before running anything unless
    `allow_data_loss`. Ends, whatever ran, by refreshing the analyst schema."""
    ensure_database(db)
    migrations = available_migrations(directory)
    target = None if to is None else normalize_version(to, migrations)
    ran: list[str] = []
    try:
        with named_lock(db, lock_name(db), LOCK_TIMEOUT_SECONDS), db.connection() as conn:
            with conn.cursor() as cur:
                cur.execute(load_sql("migrate/create_schema_migrations.sql"))
                cur.execute(load_sql("migrate/create_schema_migration_steps.sql"))
                # Read under the lock: a concurrent runner may just have applied some.
                steps = plan(migrations, read_applied(cur), read_steps(cur), target)
                if not allow_data_loss:
                    refuse_data_loss(cur, steps)
            conn.commit()
            for step in steps:
                run_step(conn, step, log)
                ran.append(step.file_name)
            refresh_analyst(db)
    except LockBusy as exc:
        raise MigrationError(f"another migrate is running: {exc}") from exc
    return ran


def lock_name(db: Database) -> str:
    # MySQL caps lock names at 64 characters.
    return f"timesync:migrate:{db.name}"[:64]


# ---------------------------------------------------------------------------------------------- status


def migration_status(db: Database, directory: Path = MIGRATIONS_DIR) -> list[MigrationStatus]:
    """Every migration here and every one recorded, in version order, with its state and checksums."""
    migrations = available_migrations(directory)

    def work(conn: pymysql.connections.Connection) -> tuple[dict[str, Applied], dict[tuple[str, str], dict[int, str]]]:
        with conn.cursor() as cur:
            present = bookkeeping_tables(cur)
            applied = read_applied(cur) if "schema_migrations" in present else {}
            steps = read_steps(cur) if "schema_migration_steps" in present else {}
        conn.commit()
        return applied, steps

    try:
        applied, steps = db.run(work)
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] == UNKNOWN_DATABASE:
            applied, steps = {}, {}
        else:
            raise
    by_version = {m.version: m for m in migrations}
    out: list[MigrationStatus] = []
    for version in sorted(set(by_version) | set(applied)):
        m, a = by_version.get(version), applied.get(version)
        if m is None:
            assert a is not None
            out.append(MigrationStatus(version, a.name, "applied, no file here", None, a.checksum, a.applied_at))
            continue
        state = "applied" if a else "pending"
        direction = DOWN if a else UP
        if recorded := steps.get((version, direction)):
            verb = "half-reverted" if a else "half-applied"
            state = f"{verb} ({len(recorded)} of {len(m.statements(direction))} statements)"
        out.append(MigrationStatus(version, m.name, state, m.checksum, a.checksum if a else None,
                                   a.applied_at if a else None))
    return out


def format_status(rows: list[MigrationStatus]) -> list[str]:
    """`timesync migrate --status`: one line per migration, then where the schema stands."""
    def short(checksum: str | None) -> str:
        return checksum[:16] if checksum else "-"

    width = max([len(r.name) for r in rows] + [4])
    lines = [f"{'version':<8} {'state':<30} {'name':<{width}} {'file sha256':<16} {'recorded':<16} applied at"]
    for r in rows:
        state = "EDITED since applied" if r.edited else r.state
        applied_at = r.applied_at.strftime("%Y-%m-%d %H:%M:%S") if r.applied_at else "-"
        lines.append(f"{r.version:<8} {state:<30} {r.name:<{width}} {short(r.checksum):<16} "
                     f"{short(r.recorded_checksum):<16} {applied_at}")
    applied = [r for r in rows if r.recorded_checksum]
    at = applied[-1].version if applied else EMPTY
    lines.append(f"{len(applied)} applied, {len(rows) - len(applied)} pending; schema at {at}")
    for r in rows:
        if r.edited:
            lines.append(f"{r.version}_{r.name}.sql was edited after it was applied (recorded "
                         f"{short(r.recorded_checksum)}…, file {short(r.checksum)}…): restore it and add a new "
                         "migration instead")
    return lines
