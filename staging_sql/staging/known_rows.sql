-- KnownRows: one chunk of a listing scope's staged rows after a key — key k, hex row_hash h and state s
-- (00 deleted, 01 live but staged before stale_before, 02 live and fresh) — joined into ONE text value, far
-- cheaper for the client than a protocol row per staged row. The row_text placeholder spells a row:
-- known_row_int.sql, 50 hex characters (the key as 16 hex digits, two's complement) that become a packed array
-- in one call; known_row_text.sql, every field followed by CHAR(31), the unit separator.
SELECT COUNT(*), MAX(k), GROUP_CONCAT({row_text} SEPARATOR '')
FROM (
  SELECT {key} AS k, HEX(row_hash) AS h,
         CASE WHEN deleted_at IS NOT NULL THEN '00' WHEN staged_at < %(stale_before)s THEN '01' ELSE '02' END AS s
  FROM {table} {index_hint}
  WHERE company_id = %(company_id)s
    AND (%(after)s IS NULL OR {key} > %(after)s)
    {scope_condition}
  ORDER BY {key}
  LIMIT %(chunk)s
) known_chunk
