UPDATE sync_logs
SET status = 'failed', completed_at = UTC_TIMESTAMP(6),
    records_processed = %s, inserted_count = %s, updated_count = %s, deleted_count = %s,
    unchanged_count = %s, conflict_count = %s, quarantined_count = %s, request_count = %s,
    throttled_count = %s, error_message = %s
WHERE id = %s
