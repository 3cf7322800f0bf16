UPDATE {table}
SET deleted_at = COALESCE(deleted_at, UTC_TIMESTAMP(6))
WHERE company_id = %s
  AND {key} IN %s
