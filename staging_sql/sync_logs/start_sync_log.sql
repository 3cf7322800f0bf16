INSERT INTO sync_logs
  (company_id, system_name, stream, sync_type, status, run_id, partition_key,
   window_start, window_end, watermark_from, started_at)
VALUES (%s, %s, %s, %s, 'running', %s, %s, %s, %s, %s, UTC_TIMESTAMP(6))
