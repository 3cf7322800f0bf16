DELETE l FROM sync_logs l
JOIN sync_logs_archive a ON a.id = l.id
WHERE l.id BETWEEN %s AND %s
