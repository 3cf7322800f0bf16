INSERT INTO staging_quarantine (company_id, system_name, stream, source_id, reason, raw_record, sync_log_id)
VALUES (%s, %s, %s, %s, %s, %s, %s)
