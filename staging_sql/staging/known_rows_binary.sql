-- KnownRows for integer keys: one chunk of a listing scope's staged rows after a key, as ONE hex text value
-- of 50 characters a row — the key as 16 hex digits (two's complement), the row_hash as 32, the state as 2
-- (00 deleted, 01 live but staged before stale_before, 02 live and fresh). The client turns it
-- into a packed array in one call, with no string per row.
SELECT COUNT(*), MAX(k), GROUP_CONCAT(LPAD(HEX(k), 16, '0'), h, s SEPARATOR '')
FROM (
  SELECT {key} AS k, HEX(row_hash) AS h,
         CASE WHEN deleted_at IS NOT NULL THEN '00' WHEN staged_at < %(stale_before)s
              THEN '01' ELSE '02' END AS s
  FROM {table} {index_hint}
  WHERE company_id = %(company_id)s
    AND (%(after)s IS NULL OR {key} > %(after)s)
    {scope_condition}
  ORDER BY {key}
  LIMIT %(chunk)s
) known_chunk
