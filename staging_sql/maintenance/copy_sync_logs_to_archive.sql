INSERT IGNORE INTO sync_logs_archive
SELECT * FROM sync_logs WHERE id BETWEEN %s AND %s AND created_at < %s AND status IN ('completed', 'failed')
