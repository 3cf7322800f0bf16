SELECT merge_name, next_sync_log_id, sql_checksum FROM merge_watermarks WHERE company_id = %(company_id)s
