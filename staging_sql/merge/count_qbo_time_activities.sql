SELECT COUNT(*) FROM staging_qbo_time_activities WHERE company_id = %(company_id)s
