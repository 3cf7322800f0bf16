SELECT c.company_key AS company, l.stream AS entity,
       l.inserted_count AS inserts, l.updated_count AS updates, l.unchanged_count AS unchanged,
       l.deleted_count AS deletes, l.conflict_count AS conflicts,
       ROUND(TIMESTAMPDIFF(MICROSECOND, l.started_at, l.completed_at) / 1e6, 1) AS seconds
FROM sync_logs l
LEFT JOIN companies c ON c.id = l.company_id
WHERE l.run_id = %s AND l.system_name NOT IN ('harvest', 'forecast', 'qbo', 'jira')
ORDER BY c.company_key, l.id
