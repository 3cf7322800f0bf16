-- A version of every time entry this run changed that existed before it (updated_at = now, created_at < now),
-- unless its business columns equal its latest version's (the row changed, but not in a column the model keeps,
-- e.g. a Harvest field dropped at staging). One statement: the latest version of each row is found through the
-- primary key (company_id, time_entry_id, version), for just the rows written now; MySQL and MariaDB buffer an
-- INSERT … SELECT that reads its own target. The columns are compared with <=> rather than through
-- business_hash, which would hash both sides of every row.
INSERT INTO time_entry_versions (company_id, time_entry_id, version, source_system, source_id, spent_date, hours,
                                 team_member_id, project_id, client_id, service_line_id, task_name, notes,
                                 is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id,
                                 is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
                                 deleted_at, valid_from, change_kind, sync_log_id)
SELECT t.company_id, t.id, COALESCE(h.version, 0) + 1, t.source_system, t.source_id, t.spent_date, t.hours,
       t.team_member_id, t.project_id, t.client_id, t.service_line_id, t.task_name, t.notes, t.is_billable,
       t.billable_rate, t.cost_rate, t.is_invoiced,
       t.is_locked,
       t.source_invoice_id, t.is_running, t.jira_issue_source_id, t.started_at, t.duplicate_of_id,
       t.source_updated_at, t.deleted_at, %(now)s,
       CASE WHEN h.version IS NULL THEN 'created'
            WHEN h.deleted_at IS NULL AND t.deleted_at IS NOT NULL THEN 'deleted'
            WHEN h.deleted_at IS NOT NULL AND t.deleted_at IS NULL THEN 'revived'
            ELSE 'updated' END,
       %(sync_log_id)s
FROM time_entries t
LEFT JOIN time_entry_versions h ON h.company_id = t.company_id AND h.time_entry_id = t.id
     AND h.version = (SELECT MAX(m.version) FROM time_entry_versions m
                      WHERE m.company_id = t.company_id AND m.time_entry_id = t.id)
WHERE t.company_id = %(company_id)s AND t.updated_at = %(now)s AND t.created_at < %(now)s
  AND NOT (h.version IS NOT NULL
           AND h.source_system <=> t.source_system AND h.source_id <=> t.source_id
           AND h.spent_date <=> t.spent_date AND h.hours <=> t.hours AND h.team_member_id <=> t.team_member_id
           AND h.project_id <=> t.project_id AND h.client_id <=> t.client_id
           AND h.service_line_id <=> t.service_line_id AND BINARY h.task_name <=> BINARY t.task_name
           AND BINARY h.notes <=> BINARY t.notes AND h.is_billable <=> t.is_billable
           AND h.billable_rate <=> t.billable_rate AND h.cost_rate <=> t.cost_rate
           AND h.is_invoiced <=> t.is_invoiced
           AND h.is_locked <=> t.is_locked
           AND h.source_invoice_id <=> t.source_invoice_id AND h.is_running <=> t.is_running
           AND h.jira_issue_source_id <=> t.jira_issue_source_id AND h.started_at <=> t.started_at
           AND h.duplicate_of_id <=> t.duplicate_of_id AND h.source_updated_at <=> t.source_updated_at
           AND h.deleted_at <=> t.deleted_at)
