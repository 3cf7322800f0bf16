-- Version 1 of every time entry this run created (created_at = updated_at = now): a row created now has no
-- earlier version, so nothing is compared; a first load of N entries is this one INSERT … SELECT through the
-- (company_id, updated_at) index; the database computes business_hash.
INSERT INTO time_entry_versions (company_id, time_entry_id, version, source_system, source_id, spent_date, hours,
                                 team_member_id, project_id, client_id, service_line_id, task_name, notes,
                                 is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id,
                                 is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
                                 deleted_at, valid_from, change_kind, sync_log_id)
SELECT t.company_id, t.id, 1, t.source_system, t.source_id, t.spent_date, t.hours, t.team_member_id, t.project_id,
       t.client_id, t.service_line_id, t.task_name, t.notes, t.is_billable, t.billable_rate, t.cost_rate,
       t.is_invoiced, t.is_locked, t.source_invoice_id, t.is_running, t.jira_issue_source_id, t.started_at,
       t.duplicate_of_id,
       t.source_updated_at, t.deleted_at, %(now)s, 'created', %(sync_log_id)s
FROM time_entries t
WHERE t.company_id = %(company_id)s AND t.updated_at = %(now)s AND t.created_at = %(now)s
