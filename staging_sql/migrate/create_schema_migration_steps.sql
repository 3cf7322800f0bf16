-- The statements of a migration (up or down) that completed while the migration as a whole has not: MySQL DDL
-- commits implicitly, so a run failing at statement k leaves 1..k-1 applied. The next run skips the recorded
-- statements whose text is unchanged (statement_sha256) and resumes at the first other one. The rows of a
-- migration are deleted in the transaction that records it in (or removes it from) schema_migrations.
CREATE TABLE IF NOT EXISTS schema_migration_steps (
  version CHAR(4) NOT NULL,
  direction ENUM('up', 'down') NOT NULL,
  step SMALLINT UNSIGNED NOT NULL COMMENT '1-based statement number in the file',
  statement_sha256 CHAR(64) NOT NULL COMMENT 'sha256 of the statement text as split (comments dropped)',
  completed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (version, direction, step)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Completed statements of migrations that have not completed (see resources/migrations.py)'
