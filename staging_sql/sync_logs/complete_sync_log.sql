UPDATE sync_logs
SET status = 'completed', completed_at = UTC_TIMESTAMP(6),
    records_processed = %s, inserted_count = %s, updated_count = %s, deleted_count = %s,
    unchanged_count = %s, conflict_count = %s, quarantined_count = %s, request_count = %s,
    throttled_count = %s, watermark_to = %s
WHERE id = %s
