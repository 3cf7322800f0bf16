-- What this run wrote into {table} (from the code's merge list): every changed row has updated_at = now.
SELECT COALESCE(SUM(created_at = %(now)s), 0) AS inserted,
       COALESCE(SUM(created_at < %(now)s AND deleted_at IS NULL), 0) AS updated,
       COALESCE(SUM(created_at < %(now)s AND deleted_at IS NOT NULL), 0) AS deleted
FROM {table}
WHERE company_id = %(company_id)s AND updated_at = %(now)s
