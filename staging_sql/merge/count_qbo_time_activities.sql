-- The activities merge_time_entries_qbo.sql considers: those staged since (full: all), and its scope.
SELECT (SELECT COUNT(*) FROM staging_qbo_time_activities
        WHERE company_id = %(company_id)s AND (%(full)s = 1 OR sync_log_id >= %(since)s))
     + (SELECT COUNT(*) FROM merge_qbo_scope)
