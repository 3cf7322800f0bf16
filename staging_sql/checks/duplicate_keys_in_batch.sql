SELECT COUNT(*) - COUNT(DISTINCT {key}) AS duplicates, COUNT(*) AS batch_rows
FROM {table}
WHERE company_id = %s AND sync_log_id = %s
