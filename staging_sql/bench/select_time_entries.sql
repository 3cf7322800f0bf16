SELECT id, company_id, source_system, source_id, spent_date, hours, team_member_id, project_id, client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate, is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at, duplicate_of_id, created_at, updated_at, deleted_at, source_updated_at, row_hash
FROM time_entries WHERE company_id = %s ORDER BY id
