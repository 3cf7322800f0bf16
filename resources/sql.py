"""The one way code reaches SQL: files under staging_sql/, loaded by name."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_ROOT = Path(__file__).resolve().parent.parent / "staging_sql"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,63}$")
DELIMITER_LINE = re.compile(r"[ \t]*DELIMITER[ \t]+(\S+)[ \t]*(?:\r?\n|$)", re.IGNORECASE)


@cache
def load_sql(relative_path: str) -> str:
    """The text of staging_sql/<relative_path> (e.g. 'merge/merge_time_entries.sql')."""
    path = (SQL_ROOT / relative_path).resolve()
    if SQL_ROOT not in path.parents:
        raise ValueError(f"SQL path escapes staging_sql/: {relative_path}")
    return path.read_text(encoding="utf-8")


def quote_identifier(name: str) -> str:
    """Backquote an identifier that comes from the code's own declarations or settings."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return f"`{name}`"


def split_statements(text: str) -> list[str]:
    """Split a script on `;` outside quotes and comments; comments are dropped.

    A line `DELIMITER xx` (as in the mysql client) makes `xx` end statements until the next DELIMITER line,
    so a trigger or routine body (BEGIN … END with `;` inside) stays one statement.
    """
    statements: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    delimiter = ";"
    while i < n:
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote != "`" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and (directive := DELIMITER_LINE.match(text, i)):
            delimiter = directive.group(1)
            i = directive.end()
            continue
        if ch in ("'", '"', "`"):
            quote = ch
            buf.append(ch)
        elif text.startswith("--", i) and (i + 2 >= n or text[i + 2] in " \t\r\n"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif text.startswith(delimiter, i):
            stmt = "".join(buf).strip()
            if stmt:
                statements.append(stmt)
            buf = []
            i += len(delimiter)
            continue
        else:
            buf.append(ch)
        i += 1
    tail = "".join(buf).strip()
    if tail:
        statements.append(tail)
    return statements


def sql_statements(relative_path: str) -> list[str]:
    return split_statements(load_sql(relative_path))
