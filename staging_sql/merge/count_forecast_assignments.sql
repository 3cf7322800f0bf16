SELECT (SELECT COUNT(*) FROM staging_forecast_assignments
        WHERE company_id = %(company_id)s AND (%(full)s = 1 OR sync_log_id >= %(since)s))
     + (SELECT COUNT(*) FROM merge_forecast_scope)
