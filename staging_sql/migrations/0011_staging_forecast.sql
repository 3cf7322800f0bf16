-- Harvest Forecast records as extracted: typed columns, the raw record, the shared staging columns.
-- Capacities and allocations are integer seconds (per week and per day); harvest_id and
-- harvest_user_id are the links reconciliation follows back to Harvest.

CREATE TABLE IF NOT EXISTS staging_forecast_people (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  first_name VARCHAR(255) NULL,
  last_name VARCHAR(255) NULL,
  email VARCHAR(255) NULL,
  login VARCHAR(32) NULL,
  admin BOOLEAN NULL,
  archived BOOLEAN NULL,
  subscribed BOOLEAN NULL,
  harvest_user_id BIGINT NULL,
  weekly_capacity BIGINT NULL COMMENT 'seconds',
  roles JSON NULL,
  teams JSON NULL,
  working_days JSON NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_people_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_projects (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  name VARCHAR(255) NULL,
  code VARCHAR(255) NULL,
  color VARCHAR(32) NULL,
  notes MEDIUMTEXT NULL,
  start_date DATE NULL,
  end_date DATE NULL,
  harvest_id BIGINT NULL,
  client_id BIGINT NULL,
  archived BOOLEAN NULL,
  budget_by VARCHAR(32) NULL,
  budget_is_monthly BOOLEAN NULL,
  tags JSON NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_projects_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_clients (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  name VARCHAR(255) NULL,
  harvest_id BIGINT NULL,
  archived BOOLEAN NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_clients_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_placeholders (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  name VARCHAR(255) NULL,
  archived BOOLEAN NULL,
  roles JSON NULL,
  teams JSON NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_placeholders_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_roles (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  name VARCHAR(255) NULL,
  harvest_role_id BIGINT NULL,
  person_ids JSON NULL,
  placeholder_ids JSON NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_roles_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_milestones (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  name VARCHAR(255) NULL,
  date DATE NULL,
  project_id BIGINT NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_milestones_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staging_forecast_assignments (
  company_id INT UNSIGNED NOT NULL,
  id BIGINT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  allocation BIGINT NULL COMMENT 'seconds per day; NULL in Forecast for some full-day (time-off) assignments',
  notes MEDIUMTEXT NULL,
  project_id BIGINT NULL,
  person_id BIGINT NULL,
  placeholder_id BIGINT NULL,
  repeated_assignment_set_id BIGINT NULL,
  active_on_days_off BOOLEAN NULL,
  updated_by_id BIGINT NULL,
  raw_json JSON NOT NULL,
  source_updated_at DATETIME(6) NULL,
  row_hash BINARY(16) NOT NULL,
  sync_log_id BIGINT UNSIGNED NOT NULL,
  staged_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (company_id, id),
  KEY ix_staging_forecast_assignments_window (company_id, start_date, end_date),
  KEY ix_staging_forecast_assignments_sync_log (company_id, sync_log_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
