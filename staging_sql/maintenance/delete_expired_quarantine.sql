DELETE FROM staging_quarantine
WHERE created_at < %s
LIMIT %s
