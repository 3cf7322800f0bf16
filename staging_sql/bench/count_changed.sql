SELECT COUNT(*) AS n FROM time_entries WHERE company_id = %s AND updated_at > created_at
