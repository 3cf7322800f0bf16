DELETE FROM {table}
WHERE staged_at < %s
LIMIT %s
