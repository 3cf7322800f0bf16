-- One row per applied migration; checksum is the sha256 of its up file as applied (an edited applied file is
-- refused). A down removes the row.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version CHAR(4) NOT NULL,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  duration_ms INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
