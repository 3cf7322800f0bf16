UPDATE sync_logs
SET status = 'failed', completed_at = UTC_TIMESTAMP(6), error_message = %s
WHERE run_id = %s AND status IN ('pending', 'running')
