-- Appends the new versions time_entries_candidates.sql kept, then drops its temporary table.
INSERT INTO time_entry_versions (company_id, time_entry_id, version, source_system, source_id, spent_date, hours,
                                 team_member_id, project_id, client_id, service_line_id, task_name, notes,
                                 is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id,
                                 is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
                                 deleted_at, valid_from, change_kind, sync_log_id)
SELECT company_id, time_entry_id, version, source_system, source_id, spent_date, hours, team_member_id, project_id,
       client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate, is_invoiced, is_locked,
       source_invoice_id, is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
       deleted_at, valid_from, change_kind, sync_log_id
FROM history_time_entries;

DROP TEMPORARY TABLE history_time_entries
