SELECT COUNT(*) FROM staging_harvest_time_entries WHERE company_id = %(company_id)s
