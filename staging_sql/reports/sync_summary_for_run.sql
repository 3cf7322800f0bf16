SELECT c.company_key AS company, l.system_name AS source, l.stream, l.sync_type AS mode, l.status,
       l.records_processed AS records, l.inserted_count AS inserted, l.updated_count AS updated,
       l.deleted_count AS deleted, l.conflict_count AS conflicts, l.quarantined_count AS quarantined,
       l.request_count AS requests, l.throttled_count AS throttled,
       ROUND(TIMESTAMPDIFF(MICROSECOND, l.started_at, l.completed_at) / 1e6, 1) AS seconds
FROM sync_logs l
LEFT JOIN companies c ON c.id = l.company_id
WHERE l.run_id = %s
ORDER BY l.id
