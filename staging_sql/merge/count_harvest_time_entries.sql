-- The entries merge_time_entries_harvest.sql considers: those staged since (full: all), and its scope.
SELECT (SELECT COUNT(*) FROM staging_harvest_time_entries
        WHERE company_id = %(company_id)s AND (%(full)s = 1 OR sync_log_id >= %(since)s))
     + (SELECT COUNT(*) FROM merge_harvest_scope)
