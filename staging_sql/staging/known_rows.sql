-- KnownRows for text keys: one chunk of a listing scope's staged rows after a key: key, lower-hex row_hash and state
-- (0 deleted, 1 live but staged before stale_before, 2 live and fresh), joined into ONE text value —
-- far cheaper for the client than a protocol row per staged row. CHAR(31) (the unit separator, also the literal after SEPARATOR) separates fields and rows.
SELECT COUNT(*), MAX(k),
       GROUP_CONCAT(k, CHAR(31 USING utf8mb4), h, CHAR(31 USING utf8mb4), s SEPARATOR '')
FROM (
  SELECT {key} AS k, LOWER(HEX(row_hash)) AS h,
         CASE WHEN deleted_at IS NOT NULL THEN 0 WHEN staged_at < %(stale_before)s THEN 1 ELSE 2 END AS s
  FROM {table} {index_hint}
  WHERE company_id = %(company_id)s
    AND (%(after)s IS NULL OR {key} > %(after)s)
    {scope_condition}
  ORDER BY {key}
  LIMIT %(chunk)s
) known_chunk
