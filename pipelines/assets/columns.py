"""Short constructors for staging column declarations (the DDL lives in staging_sql/migrations)."""

from __future__ import annotations

from resources.staging_types import Column, Kind

# Every VARCHAR column of the staging DDL is 255 unless declared otherwise; longer values are
# quarantined rather than failing the whole LOAD DATA batch in strict mode.
DEFAULT_VARCHAR = 255

ID = Column("id", "int", "id", required=True)
UPDATED_AT = Column("updated_at", "datetime", "updated_at")


def col(name: str, kind: Kind = "str", source: str | None = None, *, required: bool = False,
        max_length: int | None = None) -> Column:
    """A typed column read from `source` (a dotted path; the column's own name by default)."""
    if kind == "str" and max_length is None:
        max_length = DEFAULT_VARCHAR
    return Column(name, kind, source or name, required, max_length)
