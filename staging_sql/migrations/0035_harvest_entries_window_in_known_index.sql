-- Harvest entries (measured on 1M): the window index (company_id, spent_date) took about a sixth of the
-- server's time loading staging rows, its inserts landing all over the index by date. spent_date joins the
-- covering known-rows index instead: a windowed listing's known rows (the only reader of that index) scan
-- the company's entries through it, ~0.5 s per million, and no longer cost every staged row.
ALTER TABLE staging_harvest_time_entries
  DROP KEY ix_staging_harvest_time_entries_window,
  DROP KEY ix_staging_harvest_time_entries_known,
  ADD KEY ix_staging_harvest_time_entries_known (company_id, id, row_hash, staged_at, deleted_at, spent_date);
