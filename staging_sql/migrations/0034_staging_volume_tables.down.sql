-- Undoes 0034: raw_json of the three time tables is JSON NOT NULL again (on MariaDB: LONGTEXT utf8mb4_bin with
-- CHECK (json_valid(raw_json)); MySQL 8 converts to its binary JSON) and the covering known-rows indexes go.
-- Nothing is lost: the writer only ever stored valid JSON. One ALTER per table, each whole or not at all.
ALTER TABLE staging_qbo_time_activities
  DROP KEY ix_qta_known,
  MODIFY raw_json JSON NOT NULL;

ALTER TABLE staging_jira_worklogs
  DROP KEY ix_jwl_known,
  MODIFY raw_json JSON NOT NULL;

ALTER TABLE staging_harvest_time_entries
  DROP KEY ix_staging_harvest_time_entries_known,
  MODIFY raw_json JSON NOT NULL;
