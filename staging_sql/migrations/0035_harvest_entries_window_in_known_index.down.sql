-- Undoes 0035: Harvest entries get their window index (company_id, spent_date) back, and the known-rows index
-- its 0034 columns (without spent_date). Indexes hold no data. One ALTER: it applies whole or not at all.
ALTER TABLE staging_harvest_time_entries
  DROP KEY ix_staging_harvest_time_entries_known,
  ADD KEY ix_staging_harvest_time_entries_window (company_id, spent_date),
  ADD KEY ix_staging_harvest_time_entries_known (company_id, id, row_hash, staged_at, deleted_at);
