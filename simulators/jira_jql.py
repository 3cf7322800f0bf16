"""The slice of JQL that issue search needs: bounded clauses joined by AND, and ORDER BY.

Supported clauses: ``project = X`` / ``project in (X, Y)``, ``key``/``issuekey`` = / in,
``updated``/``created`` with ``= > >= < <=`` against ``"yyyy-MM-dd HH:mm"``,
``"yyyy/MM/dd HH:mm"``, a bare date, or a relative ``-15m``/``-2h``/``-1d``/``-1w``. Dates are
read in the calling user's time zone, as Jira does. ``/search/jql`` refuses unbounded queries
(no restriction at all) with a 400, like Jira Cloud.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|!=|>=|<=|[=<>(),]|[^\s=<>(),!"\']+)')
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_RELATIVE = re.compile(r"^([+-]?\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_ORDER_FIELDS = 7
_COMPARE = {"=": operator.eq, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_DATE_FIELDS = ("updated", "created", "updateddate", "createddate")


class JqlError(Exception):
    """Rendered as ``400 {"errorMessages":[message],"errors":{}}``."""


@dataclass
class Jql:
    projects: set[str] | None = None
    keys: set[str] | None = None
    bounds: list[tuple[str, str, int]] = field(default_factory=list)  # (updated|created, op, epoch ms)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    def matches(self, project: str, key: str, times: dict[str, int]) -> bool:
        if self.projects is not None and project.upper() not in self.projects:
            return False
        if self.keys is not None and key.upper() not in self.keys:
            return False
        for name, op, ms in self.bounds:
            if not _COMPARE[op](times[name], ms):
                return False
        return True


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def jql_datetime(text: str, zone: tzinfo, now: datetime) -> int:
    """A JQL date literal as epoch milliseconds, read in ``zone``."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return int((now + timedelta(**{_UNITS[unit]: amount})).timestamp() * 1000)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=zone).timestamp() * 1000)
    raise JqlError(
        f"Date value '{text}' for field 'updated' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
        "or a period format e.g. '-5d', '4w 2d'."
    )


def _list(tokens: list[str], pos: int) -> tuple[set[str], int]:
    if pos >= len(tokens) or tokens[pos] != "(":
        raise JqlError("Error in the JQL Query: expected '(' after 'in'.")
    values: set[str] = set()
    pos += 1
    while pos < len(tokens) and tokens[pos] != ")":
        if tokens[pos] != ",":
            values.add(_unquote(tokens[pos]))
        pos += 1
    if pos >= len(tokens):
        raise JqlError("Error in the JQL Query: expected ')'.")
    return values, pos + 1


def parse_jql(text: str, zone: tzinfo, now: datetime) -> Jql:
    tokens = _TOKEN.findall(text or "")
    lowered = [t.lower() for t in tokens]
    jql = Jql()
    split = next(
        (i for i in range(len(tokens) - 1) if lowered[i] == "order" and lowered[i + 1] == "by"), None
    )
    where, order = (tokens, []) if split is None else (tokens[:split], tokens[split + 2:])
    pos = 0
    while pos < len(where):
        if pos and where[pos].lower() == "and":
            pos += 1
        if where[pos].lower() == "or":
            raise JqlError("The simulator supports AND-joined clauses only.")
        if pos + 2 > len(where):
            raise JqlError(f"Error in the JQL Query: incomplete clause at '{where[pos]}'.")
        name, op = where[pos].lower(), where[pos + 1].lower()
        pos += 2
        if op == "in":
            values, pos = _list(where, pos)
        elif pos < len(where):
            values, pos = {_unquote(where[pos])}, pos + 1
        else:
            raise JqlError(f"Error in the JQL Query: expecting a value after '{op}'.")
        upper = {v.upper() for v in values}
        if name == "project" and op in ("=", "in"):
            jql.projects = upper if jql.projects is None else jql.projects & upper
        elif name in ("key", "issuekey") and op in ("=", "in"):
            jql.keys = upper if jql.keys is None else jql.keys & upper
        elif name in _DATE_FIELDS and op in _COMPARE:
            literal = next(iter(values))
            jql.bounds.append((name.removesuffix("date"), op, jql_datetime(literal, zone, now)))
        else:
            raise JqlError(f"Field '{where[pos - 2]}' with operator '{op}' is not supported here.")
    if not where:
        raise JqlError(
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    fields = [f.strip() for f in " ".join(order).split(",") if f.strip()]
    if len(fields) > MAX_ORDER_FIELDS:
        raise JqlError(f"The ORDER BY clause can have at most {MAX_ORDER_FIELDS} fields.")
    for item in fields:
        parts = item.split()
        jql.order.append((parts[0].lower(), len(parts) > 1 and parts[1].lower() == "desc"))
    return jql
