SELECT id
FROM sync_logs
WHERE created_at < %s AND status IN ('completed', 'failed')
ORDER BY id
LIMIT %s
