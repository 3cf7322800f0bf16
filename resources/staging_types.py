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
