"""The compiled per-table typer gives exactly what the generic `Column.typed` path gives: the same
values, and for a bad record the same `BadRecord` reason or error; the fused row line gives exactly the
TSV line of those values, or leaves the record to that path (no database needed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pipelines.assets import forecast, harvest, jira, qbo
from resources.staging import StagingTable, _compile, _compile_tsv_line, raw_json
from resources.staging_types import Column

TABLES: list[StagingTable] = [spec.table for vendor in (harvest, forecast, qbo, jira)
                              for spec in vendor.VENDOR.streams]

VALID: dict[str, Any] = {"int": 42, "str": "text", "text": "long\ttext", "decimal": 2.5, "date": "2026-05-01",
                         "datetime": "2026-05-01T12:34:56Z", "bool": True, "json": ["a", 1]}
ODD: list[Any] = [
    None, "", 0, -1, 2**63, -(2**63), 2**63 - 1, -(2**63) + 1, True, False, 1.5, 2.0, 1e14, -1e14,
    99999999999999.99, 89999999999999.99, 1e-7, float("nan"), float("inf"), "abc", "12.50", "NaN",
    "2026-05-01", "2026-05-01T12:34:56Z", "2026-05-01T12:34:56.123+0200", "2026-05-01T12:34:56-07:00",
    " 2026-05-01T12:34:56Z", "2026-05-01T12:34:56.000+0000", "2026-05-01T12:34:56.000-0130", "2026-05-01T12:34:56+0000",
    "2026-05-01T12:34:56.000Z", "2026-05-01T12:34:56+00:00", "2026-05-01T12:34:56 +00:00", "1970-01-01T00:30:00+01:00",
    "2100-12-31T23:30:00-01:00", "2026-05-01T12:34:56.123456", "2026-05-01T12:34:56.00+01:00",
    "1969-12-31", "2101-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "20260501",
    "2026-13-01", "2026-05-01 12:34:56", "2026-05-01T12:34:56ZZ", 1_700_000_000, 1_700_000_000_000,
    {"a": 1}, [1, "x"], "x" * 300, "é" * 16, "é" * 17, "true", "0", 1, Decimal("1.5"),
]


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        record = record.setdefault(part, {})
    record[last] = value


def _generic(columns: tuple[Column, ...], record: dict[str, Any]) -> Any:
    try:
        return tuple(c.typed(record) for c in columns)
    except Exception as exc:  # noqa: BLE001 - the generic path's own errors must match too
        return f"{type(exc).__name__}: {exc}"


def _compiled(table: StagingTable, record: dict[str, Any]) -> Any:
    try:
        return _compile(table)[0](record)
    except Exception as exc:  # noqa: BLE001 - the generic path's own errors must match too
        return f"{type(exc).__name__}: {exc}"


def _columns(table: StagingTable) -> tuple[Column, ...]:
    return (table.key, *table.columns, table.updated_at or Column("_none", "json", lambda _r: None))


def _records(columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    """A valid record, then one per odd value in each column's place (and in place of each parent object)."""
    paths = [c for c in columns if isinstance(c.source, str)]
    valid: dict[str, Any] = {}
    for c in paths:
        _set(valid, c.source, VALID[c.kind])  # type: ignore[arg-type]
    records = [valid, {}, {"id": None}]
    for c in paths:
        for value in ODD:
            record = _deep_copy(valid)
            _set(record, c.source, value)  # type: ignore[arg-type]
            records.append(record)
        parent = c.source.rsplit(".", 1)[0] if "." in c.source else None  # type: ignore[union-attr]
        if parent:
            for value in ("not an object", 7, [1]):
                record = _deep_copy(valid)
                _set(record, parent, value)
                records.append(record)
    return records


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_compiled_typer_matches_the_generic_path(table: StagingTable) -> None:
    columns = _columns(table)
    for record in _records(columns):
        assert repr(_compiled(table, record)) == repr(_generic(columns, record)), record


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_fused_row_line_is_the_tsv_line_of_the_typed_values_or_defers(table: StagingTable) -> None:
    columns = _columns(table)
    row_line = _compile(table)[1]
    line_of = _compile_tsv_line(["int", *(c.kind for c in columns[:-1]), "raw_json", "datetime", "int", "str"])
    records = _records(columns)
    data, digest = raw_json(records[0])
    assert row_line(records[0], "7", data.decode("utf-8"), "42", digest.hex()), "a valid record takes the fused path"
    fused = 0
    for record in records:
        try:
            data, digest = raw_json(record)
        except TypeError:
            continue  # a Decimal: decoded JSON never holds one
        raw, row_hash = data.decode("utf-8"), digest.hex()
        try:
            key, updated, line = row_line(record, "7", raw, "42", row_hash)
        except Exception:  # noqa: BLE001 - any miss leaves the record to the typer, which decides
            continue
        if key is None:
            continue  # the writer defers these too: the typer quarantines a missing key
        typed = _generic(columns, record)
        assert isinstance(typed, tuple), (record, typed)
        assert (key, updated) == (typed[0], typed[-1])
        assert line == line_of((7, *typed[:-1], raw, typed[-1], 42, row_hash)), record
        fused += 1
    assert fused > len(columns), "the fused path should take the ordinary records"


def _deep_copy(record: Any) -> Any:
    if isinstance(record, dict):
        return {k: _deep_copy(v) for k, v in record.items()}
    return record
