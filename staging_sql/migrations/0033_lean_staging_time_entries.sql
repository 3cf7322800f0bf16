-- Harvest time entries are the largest staging table, and every typed column costs the sync twice
-- (typing in Python, converting in LOAD DATA). Typed columns are the fields merges and checks read;
-- raw_json keeps the whole record, so nothing is lost by no longer extracting the rest.
ALTER TABLE staging_harvest_time_entries
  DROP COLUMN user_assignment_id,
  DROP COLUMN task_assignment_id,
  DROP COLUMN rounded_hours,
  DROP COLUMN is_locked,
  DROP COLUMN locked_reason,
  DROP COLUMN is_closed,
  DROP COLUMN timer_started_at,
  DROP COLUMN started_time,
  DROP COLUMN ended_time,
  DROP COLUMN budgeted,
  DROP COLUMN external_reference_group_id,
  DROP COLUMN external_reference_permalink,
  DROP COLUMN external_reference_service,
  DROP COLUMN created_at;
