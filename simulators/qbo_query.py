"""The QuickBooks Online query language: parser and row predicate.

Grammar (Intuit "data queries"): ``SELECT * | count(*) FROM Entity [WHERE c AND c ...]
[ORDERBY|ORDER BY field [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]``. One entity, named
case-sensitively; no ``OR``, ``JOIN``, ``GROUP BY`` or projections. Keywords are
case-insensitive, property paths resolve case-insensitively (``Metadata`` vs ``MetaData``).

Choice documented here: ``MAXRESULTS`` above 1000 is rejected with a 400 ValidationFault
(Intuit documents 1000 as the maximum; the exact behaviour above it is unconfirmed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)
_FORBIDDEN = {"OR", "JOIN", "GROUP", "HAVING", "UNION", "NOT"}
_OPERATORS = {"=", "<", ">", "<=", ">=", "IN", "LIKE"}


class QueryError(Exception):
    """A query the service rejects; rendered as a 400 ValidationFault."""

    def __init__(self, message: str, detail: str, code: str = "4000") -> None:
        super().__init__(detail)
        self.message = message
        self.detail = detail
        self.code = code


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]  # lower-cased property path, e.g. ("metadata", "lastupdatedtime")
    op: str
    value: Any  # str | Decimal | bool | tuple of those for IN


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    conditions: tuple[Condition, ...]
    order_path: tuple[str, ...] | None
    descending: bool
    start_position: int
    max_results: int

    def mentions(self, path: tuple[str, ...]) -> bool:
        return any(c.path == path for c in self.conditions)


def _parse_error(detail: str) -> QueryError:
    return QueryError("Error parsing query", f"QueryParserError: {detail}", "4000")


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _parse_error(f'Encountered " {text[pos:pos + 10]!r} " at column {pos + 1}.')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.pos += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise _parse_error(f"Encountered {self._where()}. Was expecting \"{word}\".")

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _parse_error("Encountered \"<EOF>\".")
        self.pos += 1
        if token[0] == "word" and token[1].upper() in _FORBIDDEN:
            word = token[1]
            raise _parse_error(f'Encountered " "{word}" "{word}" ". {word} is not supported.')
        return token

    def _where(self) -> str:
        token = self.peek()
        return f'" {token[1]} "' if token else '"<EOF>"'

    def literal(self) -> Any:
        kind, raw = self.next()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", raw[1:-1])
        if kind == "number":
            return Decimal(raw)
        if kind == "word" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise _parse_error(f"Encountered \" {raw} \". Was expecting a literal.")

    def condition(self) -> Condition:
        kind, field = self.next()
        if kind != "word":
            raise _parse_error(f"Encountered \" {field} \". Was expecting a property name.")
        kind, op = self.next()
        op = op.upper()
        if op not in _OPERATORS:
            raise _parse_error(f"Encountered \" {op} \". Operator not supported.")
        path = tuple(part.lower() for part in field.split("."))
        if op != "IN":
            return Condition(path, op, self.literal())
        if self.next() != ("punct", "("):
            raise _parse_error("Was expecting \"(\" after IN.")
        values = [self.literal()]
        while self.peek() == ("punct", ","):
            self.pos += 1
            values.append(self.literal())
        if self.next() != ("punct", ")"):
            raise _parse_error("Was expecting \")\".")
        return Condition(path, op, tuple(values))

    def integer(self, clause: str) -> int:
        kind, raw = self.next()
        if kind != "number" or "." in raw or int(raw) < 0:
            raise _parse_error(f"Encountered \" {raw} \" after {clause}. Was expecting an integer.")
        return int(raw)


def parse_query(text: str) -> Query:
    """Parse one statement; raises QueryError with QBO's fault wording on anything unsupported."""
    if not text or not text.strip():
        raise _parse_error("Encountered \"<EOF>\". Was expecting \"select\".")
    p = _Parser(text)
    p.expect_keyword("SELECT")
    if p.peek() == ("punct", "*"):
        p.pos += 1
        count = False
    elif p.keyword("COUNT"):
        if [p.next(), p.next(), p.next()] != [("punct", "("), ("punct", "*"), ("punct", ")")]:
            raise _parse_error("Was expecting \"count(*)\".")
        count = True
    else:
        raise QueryError(
            "Invalid query", "QueryValidationError: projections are not supported; use SELECT *", "4001"
        )
    p.expect_keyword("FROM")
    kind, entity = p.next()
    if kind != "word":
        raise _parse_error(f"Encountered \" {entity} \". Was expecting an entity name.")
    conditions: list[Condition] = []
    if p.keyword("WHERE"):
        conditions.append(p.condition())
        while p.keyword("AND"):
            conditions.append(p.condition())
    order_path: tuple[str, ...] | None = None
    descending = False
    ordered = p.keyword("ORDERBY")
    if not ordered and p.keyword("ORDER"):
        p.expect_keyword("BY")
        ordered = True
    if ordered:
        _, field = p.next()
        order_path = tuple(part.lower() for part in field.split("."))
        if p.keyword("DESC"):
            descending = True
        else:
            p.keyword("ASC")
    start, max_results = 1, DEFAULT_MAX_RESULTS
    while p.peek() is not None:
        if p.keyword("STARTPOSITION"):
            start = max(1, p.integer("STARTPOSITION"))
        elif p.keyword("MAXRESULTS"):
            max_results = p.integer("MAXRESULTS")
            if max_results > MAX_RESULTS_LIMIT:
                raise QueryError(
                    "Invalid query",
                    f"QueryValidationError: value {max_results} for MAXRESULTS exceeds the maximum of "
                    f"{MAX_RESULTS_LIMIT}",
                    "4001",
                )
        else:
            p.next()  # raises on a forbidden keyword such as GROUP
            raise _parse_error(f"Encountered {p._where()} after the statement.")
    return Query(entity, count, tuple(conditions), order_path, descending, start, max_results)


# --- evaluation -------------------------------------------------------------------------

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def resolve(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Case-insensitive property lookup; a reference object compares by its ``value``."""
    current: Any = row
    for part in path:
        if not isinstance(current, dict):
            return None
        current = next((v for k, v in current.items() if k.lower() == part), None)
        if current is None:
            return None
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    return current


def as_datetime(text: str, tz: timezone) -> datetime | None:
    """Parse ISO dates/timestamps; a value without an offset is read in the company's zone."""
    if not _TS.match(text):
        return None
    value = text.replace("Z", "+00:00")
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=tz)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def comparable(value: Any, literal: Any, tz: timezone) -> tuple[Any, Any] | None:
    """Bring a stored value and a literal to one comparable type, or None when they cannot meet."""
    if value is None:
        return None
    if isinstance(literal, bool) or isinstance(value, bool):
        return (str(value).lower(), str(literal).lower())
    if isinstance(value, (int, float, Decimal)) or isinstance(literal, Decimal):
        try:
            return (Decimal(str(value)), Decimal(str(literal)))
        except InvalidOperation:
            return (str(value), str(literal))
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    left, right = as_datetime(str(value), tz), as_datetime(str(literal), tz)
    if left is not None and right is not None:
        if len(str(value)) == 10 and len(str(literal)) == 10:
            return (str(value), str(literal))
        return (left, right)
    if str(value).isdigit() and str(literal).isdigit():
        return (int(value), int(literal))
    return (str(value), str(literal))


def _like(value: str, pattern: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def condition_holds(value: Any, cond: Condition, tz: timezone) -> bool:
    if cond.op == "IN":
        return any(condition_holds(value, Condition(cond.path, "=", v), tz) for v in cond.value)
    if cond.op == "LIKE":
        return value is not None and _like(str(value), str(cond.value))
    if value is None:
        # QBO writes "no value" as ' ' in a query.
        return cond.op == "=" and str(cond.value).strip() == ""
    pair = comparable(value, cond.value, tz)
    if pair is None:
        return False
    left, right = pair
    try:
        return {
            "=": left == right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[cond.op]
    except TypeError:
        return False


def row_matches(row: dict[str, Any], conditions: tuple[Condition, ...], tz: timezone) -> bool:
    return all(condition_holds(resolve(row, c.path), c, tz) for c in conditions)


def sort_key(value: Any, tz: timezone) -> tuple[int, Any]:
    """Orders missing values first, then numbers, timestamps and strings within their kind."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float, Decimal)):
        return (2, Decimal(str(value)))
    text = str(value)
    parsed = as_datetime(text, tz)
    if parsed is not None:
        return (3, parsed.timestamp())
    if text.isdigit():
        return (2, Decimal(text))
    return (4, text.lower())


def fixed_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
