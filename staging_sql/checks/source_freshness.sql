SELECT l.system_name AS source,
       TIMESTAMPDIFF(MINUTE, MAX(l.completed_at), UTC_TIMESTAMP(6)) / 60 AS hours_since_last_sync
FROM sync_logs l
WHERE l.company_id = %s AND l.status = 'completed' AND l.system_name IN ('harvest', 'forecast', 'qbo', 'jira')
GROUP BY l.system_name
