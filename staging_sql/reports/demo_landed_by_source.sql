SELECT c.company_key AS company, l.system_name AS source,
       COUNT(*) AS streams,
       SUM(l.status = 'completed') AS completed,
       SUM(l.records_processed) AS records,
       SUM(l.quarantined_count) AS quarantined,
       SUM(l.deleted_count) AS deletes_swept,
       SUM(l.request_count) AS requests,
       SUM(l.throttled_count) AS throttled,
       ROUND(SUM(TIMESTAMPDIFF(MICROSECOND, l.started_at, l.completed_at)) / 1e6, 1) AS seconds
FROM sync_logs l
LEFT JOIN companies c ON c.id = l.company_id
WHERE l.run_id = %s AND l.system_name IN ('harvest', 'forecast', 'qbo', 'jira')
GROUP BY c.company_key, l.system_name
ORDER BY c.company_key, l.system_name
