-- Where each incremental fact merge of the reconcile stands, per company. The next reconcile merges only the
-- driving staging rows with sync_log_id >= next_sync_log_id: rows of staging runs that were still running, or
-- had not started, when this one began. sql_checksum is the SHA-256 of the merge's SQL as it last ran; another
-- checksum (new code) makes the next run a full one. Written in the reconcile's own transaction, with the
-- merges it describes, so a failed reconcile leaves it as it was.
CREATE TABLE IF NOT EXISTS merge_watermarks (
  company_id INT UNSIGNED NOT NULL,
  merge_name VARCHAR(64) NOT NULL COMMENT 'the merge SQL file under staging_sql/merge/, without .sql',
  next_sync_log_id BIGINT UNSIGNED NOT NULL COMMENT 'the next run reads staged rows with sync_log_id >= this',
  sql_checksum CHAR(64) NOT NULL COMMENT 'SHA-256 of the merge SQL (and its sweeps) that wrote this row',
  last_mode ENUM('full', 'incremental') NOT NULL,
  sync_log_id BIGINT UNSIGNED NULL COMMENT 'the sync_logs row of the reconcile that wrote this row',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (company_id, merge_name),
  CONSTRAINT fk_merge_watermarks_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Per company and fact merge: the staging sync_log_id the next incremental reconcile reads from';
