SELECT COUNT(*) AS n FROM staging_quarantine WHERE company_id = %s AND sync_log_id = %s
