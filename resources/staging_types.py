"""Typing a vendor record into staging columns. A value that fails typing raises `BadRecord`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["int", "str", "text", "decimal", "date", "datetime", "bool", "json"]
MIN_YEAR, MAX_YEAR = 1970, 2100
# Jira writes offsets without a colon (+0000); Python 3.11 fromisoformat accepts both.
_NO_COLON_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


class BadRecord(ValueError):
    """The record cannot be typed; the message is the quarantine reason."""


@dataclass(frozen=True)
class Column:
    """One typed staging column: where its value is in the record and what it must be."""

    name: str
    kind: Kind
    # A dotted path into the record ("user.id") or a function of the record.
    source: str | Callable[[dict[str, Any]], Any]
    required: bool = False
    max_length: int | None = None

    def __post_init__(self) -> None:
        # Split once: typing runs per field of every record, so this is the hot path of a sync.
        path = () if callable(self.source) else tuple(self.source.split("."))
        object.__setattr__(self, "_path", path)

    def extract(self, record: dict[str, Any]) -> Any:
        if callable(self.source):
            return self.source(record)
        value: Any = record
        for part in self._path:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def typed(self, record: dict[str, Any]) -> Any:
        raw = self.extract(record)
        if raw is None or (raw == "" and self.kind not in ("str", "text")):
            if self.required:
                raise BadRecord(f"{self.name}: required value missing")
            return None
        try:
            value = CONVERTERS[self.kind](raw)
        except BadRecord as exc:
            raise BadRecord(f"{self.name}: {exc}") from None
        except (TypeError, ValueError, InvalidOperation, OverflowError):
            raise BadRecord(f"{self.name}: {raw!r} is not a valid {self.kind}") from None
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            raise BadRecord(f"{self.name}: {len(value)} characters, more than {self.max_length}")
        return value


def to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise BadRecord(f"{raw!r} is a boolean, not an integer")
    if isinstance(raw, float) and not raw.is_integer():
        raise BadRecord(f"{raw!r} is not a whole number")
    value = int(raw)
    if abs(value) >= 2**63:
        raise BadRecord(f"{raw!r} is out of range")
    return value


def to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise BadRecord(f"{raw!r} is a boolean, not a number")
    value = Decimal(str(raw))
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise BadRecord(f"{raw!r} is not a finite amount")
    return value


def _check_year(year: int, raw: Any) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadRecord(f"{raw!r} is an absurd date")


def to_date(raw: Any) -> date:
    if not isinstance(raw, str):
        raise BadRecord(f"{raw!r} is not a date string")
    value = date.fromisoformat(raw[:10])
    _check_year(value.year, raw)
    return value


def to_datetime(raw: Any) -> datetime:
    """Naive UTC (pymysql drops offsets silently, MariaDB rejects 'Z')."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = datetime.fromtimestamp(raw / 1000 if raw > 1e11 else raw, tz=UTC)
    elif isinstance(raw, str):
        text = _NO_COLON_OFFSET.sub(r"\1:\2", raw.strip().replace("Z", "+00:00"))
        value = datetime.fromisoformat(text)
    else:
        raise BadRecord(f"{raw!r} is not a timestamp")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    _check_year(value.year, raw)
    return value


def to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1, "0", "1", "true", "false", "True", "False"):
        return str(raw).lower() in ("1", "true")
    raise BadRecord(f"{raw!r} is not a boolean")


def to_str(raw: Any) -> str:
    if isinstance(raw, (dict, list)):
        raise BadRecord("an object where text was expected")
    return str(raw)


def to_json(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": to_int, "str": to_str, "text": to_str, "decimal": to_decimal, "date": to_date,
    "datetime": to_datetime, "bool": to_bool, "json": to_json,
}


# --- Compiled row builders --------------------------------------------------------------------
# Typing runs for every field of every record, so each table gets one generated function that
# inlines extraction and the common already-valid cases (ints, strings, bools, ISO dates, `…Z`
# timestamps). Anything off that fast path, including every failure, re-runs the generic
# `Column.typed` path above for the whole record, so values and quarantine reasons stay identical.

_INT_LIMIT = 2**63
# A little under the 10**14 DECIMAL bound, so a float's shortest repr can never round across it.
_FAST_DECIMAL_LIMIT = 9e13


# Hours and rates repeat endlessly; a Decimal is immutable, so equal floats can share one.
_DECIMAL_OF_FLOAT: dict[float, Decimal] = {}


def _fast_decimal(raw: Any) -> Decimal:
    kind = raw.__class__
    if kind is float:
        value = _DECIMAL_OF_FLOAT.get(raw)
        if value is not None:
            return value
        if -_FAST_DECIMAL_LIMIT < raw < _FAST_DECIMAL_LIMIT:
            value = Decimal(repr(raw))
            # 0.0 == -0.0 as keys, but their Decimals differ.
            if raw != 0.0 and len(_DECIMAL_OF_FLOAT) < 4096:
                _DECIMAL_OF_FLOAT[raw] = value
            return value
    elif kind is int:
        if -_FAST_DECIMAL_LIMIT < raw < _FAST_DECIMAL_LIMIT:
            return Decimal(raw)
    return to_decimal(raw)


def _fast_datetime(raw: Any) -> datetime:
    """`to_datetime` for the shapes vendors send, where it comes down to one fromisoformat."""
    if raw.__class__ is str and len(raw) >= 20 and raw[10] == "T":
        n = len(raw)
        if n == 20 and raw[19] == "Z":  # Harvest: 2026-05-01T12:34:56Z
            value = datetime.fromisoformat(raw[:19])
        elif (n == 25 and raw[22] == ":" and raw[19] in "+-"  # QBO: 2026-05-01T12:34:56-07:00
              or n == 28 and raw[19] == "." and raw[23] in "+-"):  # Jira: 2026-05-01T12:34:56.000+0000
            value = datetime.fromisoformat(raw).astimezone(UTC).replace(tzinfo=None)
        else:
            return to_datetime(raw)
        if MIN_YEAR <= value.year <= MAX_YEAR:
            return value
    return to_datetime(raw)


def _fast_date(raw: Any) -> date:
    if raw.__class__ is str:
        value = date.fromisoformat(raw[:10])
        if MIN_YEAR <= value.year <= MAX_YEAR:
            return value
    return to_date(raw)


class FastPathMiss(Exception):
    """The fast path does not handle this value; the generic path decides."""


# --- The same fast path leaving TSV text (resources.staging's fused row line) -----------------------

# Kinds whose TSV text the fast path can leave in t{k} itself (see `compile_fast_path`).
TEXT_KINDS = ("decimal", "date", "datetime")
_TEXT_OF_DATE: dict[str, str] = {}


def _decimal_text(raw: Any) -> str:
    return str(_fast_decimal(raw))


def _date_text(raw: Any) -> str:
    text = _TEXT_OF_DATE.get(raw) if raw.__class__ is str else None
    if text is None:
        text = _fast_date(raw).isoformat()
        if raw.__class__ is str and len(_TEXT_OF_DATE) < 65536:  # days repeat endlessly
            _TEXT_OF_DATE[raw] = text
    return text


def _datetime_text(raw: Any, value: datetime) -> str:
    """`str(value)` of the timestamp `raw` was read as; Harvest's `2026-05-01T12:34:56Z`, which is exactly
    those fields once read, without formatting them again."""
    if (raw.__class__ is str and len(raw) == 20 and raw[19] == "Z" and raw[10] in "T " and raw[4] == "-"
            and raw[7] == "-" and raw[13] == ":" and raw[16] == ":"):
        return raw[:10] + " " + raw[11:19]
    return str(value)


def _column_code(k: int, column: Column, lines: list[str], env: dict[str, Any], as_text: bool = False) -> None:
    """Append the statements that leave column k's typed value in `c{k}` (or raise).

    `as_text`: a column of TEXT_KINDS also leaves its TSV text in `t{k}` (a decimal or date only that text).
    """
    pad = "    "
    if callable(column.source):
        env[f"src{k}"] = column.source
        lines.append(f"{pad}v = src{k}(r)")
    else:
        parts = column.source.split(".")
        lines.append(f"{pad}v = r.get({parts[0]!r})")
        for part in parts[1:]:
            lines.append(f"{pad}v = v.get({part!r}) if isinstance(v, dict) else None")
    none_case = "raise Miss" if column.required else f"c{k} = None"
    lines.append(f"{pad}if v is None:")
    lines.append(f"{pad}    {none_case}")
    kind = column.kind
    if kind == "int":
        lines.append(f"{pad}elif v.__class__ is int and -{_INT_LIMIT} < v < {_INT_LIMIT}:")
        lines.append(f"{pad}    c{k} = v")
    elif kind in ("str", "text"):
        limit = "" if column.max_length is None else f" and len(v) <= {column.max_length}"
        lines.append(f"{pad}elif v.__class__ is str{limit}:")
        lines.append(f"{pad}    c{k} = v")
    elif kind == "bool":
        lines.append(f"{pad}elif v is True or v is False:")
        lines.append(f"{pad}    c{k} = v")
    elif kind in ("decimal", "date", "datetime"):
        # "" means missing for these kinds; the generic path handles it (and `required`).
        lines.append(f"{pad}elif v != '':")
        converter = f"{kind}_text" if as_text and kind != "datetime" else f"fast_{kind}"
        lines.append(f"{pad}    c{k} = {converter}(v)")
    else:
        env[f"col{k}"] = column
        lines.append(f"{pad}else:")
        lines.append(f"{pad}    c{k} = col{k}.typed(r)")
        return
    lines.append(f"{pad}else:")
    lines.append(f"{pad}    raise Miss")
    if as_text and kind in TEXT_KINDS:
        text = f"datetime_text(v, c{k})" if kind == "datetime" else f"c{k}"
        lines.append(f"{pad}t{k} = '\\\\N' if c{k} is None else {text}")


def compile_fast_path(columns: tuple[Column, ...], signature: str, result: str, env: dict[str, Any],
                      text_columns: frozenset[int] = frozenset()) -> Callable[..., Any]:
    """`def fast(signature)`: the fast path typing record `r` into locals c0, c1, … (one per column), then
    `return result`. Raises `FastPathMiss` wherever the generic path must decide. Columns in `text_columns`
    of TEXT_KINDS leave their TSV text in t{k} (a timestamp beside its value in c{k})."""
    env.update(Miss=FastPathMiss, fast_decimal=_fast_decimal, fast_date=_fast_date, fast_datetime=_fast_datetime,
               decimal_text=_decimal_text, date_text=_date_text, datetime_text=_datetime_text)
    lines = [f"def fast({signature}):"]
    for k, column in enumerate(columns):
        _column_code(k, column, lines, env, k in text_columns)
    lines.append(f"    return {result}")
    exec(compile("\n".join(lines), f"<fast path of {len(columns)} columns>", "exec"), env)  # noqa: S102
    return env["fast"]


def compile_typer(columns: tuple[Column, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function typing a record into the tuple `tuple(c.typed(record) for c in columns)`.

    Raises `BadRecord` exactly where the generic path would, with the same reason.
    """
    fast = compile_fast_path(columns, "r", "(" + "".join(f"c{k}, " for k in range(len(columns))) + ")", {})

    def typer(record: dict[str, Any]) -> tuple[Any, ...]:
        try:
            return fast(record)
        except Exception:  # noqa: BLE001 - the generic path raises the right error, or returns the value
            return tuple(c.typed(record) for c in columns)

    return typer
