-- Undoes 0033: puts the typed Harvest entry columns it dropped back where 0010 had them, with 0010's
-- definitions. Their values are not restored (the columns come back NULL); every staged row still holds
-- them in raw_json. One ALTER: it applies whole or not at all.
ALTER TABLE staging_harvest_time_entries
  ADD COLUMN user_assignment_id BIGINT NULL AFTER task_id,
  ADD COLUMN task_assignment_id BIGINT NULL AFTER user_assignment_id,
  ADD COLUMN rounded_hours DECIMAL(18,4) NULL AFTER hours_without_timer,
  ADD COLUMN is_locked BOOLEAN NULL AFTER notes,
  ADD COLUMN locked_reason VARCHAR(255) NULL AFTER is_locked,
  ADD COLUMN is_closed BOOLEAN NULL AFTER locked_reason,
  ADD COLUMN timer_started_at DATETIME(6) NULL AFTER is_running,
  ADD COLUMN started_time VARCHAR(16) NULL AFTER timer_started_at,
  ADD COLUMN ended_time VARCHAR(16) NULL AFTER started_time,
  ADD COLUMN budgeted BOOLEAN NULL AFTER billable,
  ADD COLUMN external_reference_group_id VARCHAR(255) NULL AFTER external_reference_id,
  ADD COLUMN external_reference_permalink VARCHAR(1024) NULL AFTER external_reference_group_id,
  ADD COLUMN external_reference_service VARCHAR(255) NULL AFTER external_reference_permalink,
  ADD COLUMN created_at DATETIME(6) NULL AFTER external_reference_service;
