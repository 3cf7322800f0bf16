UPDATE {table}
SET deleted_at = UTC_TIMESTAMP(6)
WHERE company_id = %s
  AND sync_log_id <> %s
  AND deleted_at IS NULL
