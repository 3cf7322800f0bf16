-- {mode}: IGNORE (first load into the empty copy) or REPLACE (the re-run over the full copy).
LOAD DATA LOCAL INFILE %s {mode} INTO TABLE time_entries_load
CHARACTER SET utf8mb4
FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
LINES TERMINATED BY '\n'
(id, company_id, source_system, source_id, spent_date, hours, team_member_id, project_id, client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id, is_running, jira_issue_source_id, started_at, duplicate_of_id, created_at, updated_at, deleted_at, source_updated_at, @row_hash)
SET row_hash = UNHEX(@row_hash)
