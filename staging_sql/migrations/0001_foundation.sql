-- Tenants, the run log, quarantine and the OAuth token store: what every stream relies on.

CREATE TABLE IF NOT EXISTS companies (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  company_key VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  source_updated_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_companies_key (company_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sync_logs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  company_id INT UNSIGNED NULL,
  system_name VARCHAR(32) NOT NULL,
  stream VARCHAR(64) NOT NULL,
  sync_type VARCHAR(32) NOT NULL,
  status ENUM('pending','running','completed','failed') NOT NULL DEFAULT 'pending',
  run_id VARCHAR(64) NULL,
  partition_key VARCHAR(128) NULL,
  window_start DATETIME(6) NULL,
  window_end DATETIME(6) NULL,
  watermark_from DATETIME(6) NULL,
  watermark_to DATETIME(6) NULL,
  started_at DATETIME(6) NULL,
  completed_at DATETIME(6) NULL,
  records_processed INT UNSIGNED NOT NULL DEFAULT 0,
  inserted_count INT UNSIGNED NOT NULL DEFAULT 0,
  updated_count INT UNSIGNED NOT NULL DEFAULT 0,
  deleted_count INT UNSIGNED NOT NULL DEFAULT 0,
  unchanged_count INT UNSIGNED NOT NULL DEFAULT 0,
  conflict_count INT UNSIGNED NOT NULL DEFAULT 0,
  quarantined_count INT UNSIGNED NOT NULL DEFAULT 0,
  request_count INT UNSIGNED NOT NULL DEFAULT 0,
  throttled_count INT UNSIGNED NOT NULL DEFAULT 0,
  error_message TEXT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_sync_logs_stream (company_id, system_name, stream, status, completed_at),
  KEY ix_sync_logs_run (run_id),
  KEY ix_sync_logs_status (status, started_at),
  KEY ix_sync_logs_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sync_logs_archive LIKE sync_logs;

CREATE TABLE IF NOT EXISTS staging_quarantine (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  company_id INT UNSIGNED NOT NULL,
  system_name VARCHAR(32) NOT NULL,
  stream VARCHAR(64) NOT NULL,
  source_id VARCHAR(64) NULL,
  reason VARCHAR(1000) NOT NULL,
  raw_record LONGTEXT NULL,
  sync_log_id BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_quarantine_stream (company_id, system_name, stream, created_at),
  KEY ix_quarantine_sync_log (sync_log_id),
  KEY ix_quarantine_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per OAuth grant (QBO realm). Written the moment a token arrives, under a named lock.
CREATE TABLE IF NOT EXISTS oauth_tokens (
  provider VARCHAR(32) NOT NULL,
  account_key VARCHAR(128) NOT NULL,
  refresh_token TEXT NOT NULL,
  access_token TEXT NULL,
  access_expires_at DATETIME(6) NULL,
  refresh_expires_at DATETIME(6) NULL,
  rotated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (provider, account_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
