SELECT l.id, l.company_id, l.records_processed, l.quarantined_count
FROM sync_logs l
JOIN companies c ON c.id = l.company_id
WHERE l.run_id = %s AND c.company_key = %s AND l.system_name = %s AND l.stream = %s
ORDER BY l.id DESC
LIMIT 1
