-- In the reconcile's transaction: the watermark moves only with the merges it describes.
INSERT INTO merge_watermarks (company_id, merge_name, next_sync_log_id, sql_checksum, last_mode, sync_log_id,
                              created_at, updated_at)
VALUES (%(company_id)s, %(merge_name)s, %(next_sync_log_id)s, %(sql_checksum)s, %(last_mode)s, %(sync_log_id)s,
        %(now)s, %(now)s)
ON DUPLICATE KEY UPDATE
  next_sync_log_id = %(next_sync_log_id)s,
  sql_checksum = %(sql_checksum)s,
  last_mode = %(last_mode)s,
  sync_log_id = %(sync_log_id)s,
  updated_at = %(now)s
