-- Tombstones and sweeps: the run that marks a row deleted stamps it, so merges that read only rows
-- changed since their watermark see the deletion.
UPDATE {table}
SET deleted_at = UTC_TIMESTAMP(6), sync_log_id = %s
WHERE company_id = %s
  AND {key} IN %s
  AND deleted_at IS NULL
