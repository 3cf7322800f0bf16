-- Harvest time entries: person, project and client through the crosswalk (the lookups built by
-- lookup_harvest_people.sql and lookup_harvest_projects.sql just before), the service line through the
-- task's name (a QBO class of that name), else the project's. Older staged versions never overwrite newer.
-- One level, no derived tables: MariaDB 10.11 skipped rows when merged derived tables fed this upsert, and
-- materializing them cost a temp table of every staged row. The hash is therefore spelled out twice.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT he.company_id, 'harvest', CAST(he.id AS CHAR), he.spent_date, CAST(he.hours AS DECIMAL(10,4)), pl.entity_id,
       p.id, p.client_id, COALESCE(sl.id, p.service_line_id), tk.name, he.notes, he.billable,
       CAST(he.billable_rate AS DECIMAL(12,2)), CAST(he.cost_rate AS DECIMAL(12,2)),
       (he.invoice_id IS NOT NULL OR COALESCE(he.is_billed, 0) = 1), CAST(he.invoice_id AS CHAR),
       COALESCE(he.is_running, 0), he.external_reference_id, NULL, NULL, he.source_updated_at, he.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
             IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
             IFNULL(he.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_harvest_time_entries he
LEFT JOIN merge_harvest_people pl ON pl.user_id = he.user_id
LEFT JOIN merge_harvest_projects p ON p.project_id = he.project_id
LEFT JOIN staging_harvest_tasks tk ON tk.company_id = he.company_id AND tk.id = he.task_id
LEFT JOIN service_lines sl ON sl.company_id = he.company_id AND sl.name = tk.name AND sl.deleted_at IS NULL
LEFT JOIN time_entries t ON t.company_id = he.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(he.id AS CHAR)
WHERE he.company_id = %(company_id)s AND (%(full)s = 1 OR he.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
                 IFNULL(he.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR he.source_updated_at IS NULL
                OR he.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  time_entries.updated_at = IF(time_entries.row_hash <=> VALUES(row_hash), time_entries.updated_at, %(now)s),
  time_entries.spent_date = VALUES(spent_date),
  time_entries.hours = VALUES(hours),
  time_entries.team_member_id = VALUES(team_member_id),
  time_entries.project_id = VALUES(project_id),
  time_entries.client_id = VALUES(client_id),
  time_entries.service_line_id = VALUES(service_line_id),
  time_entries.task_name = VALUES(task_name),
  time_entries.notes = VALUES(notes),
  time_entries.is_billable = VALUES(is_billable),
  time_entries.billable_rate = VALUES(billable_rate),
  time_entries.cost_rate = VALUES(cost_rate),
  time_entries.is_invoiced = VALUES(is_invoiced),
  time_entries.source_invoice_id = VALUES(source_invoice_id),
  time_entries.is_running = VALUES(is_running),
  time_entries.jira_issue_source_id = VALUES(jira_issue_source_id),
  time_entries.source_updated_at = VALUES(source_updated_at),
  time_entries.deleted_at = VALUES(deleted_at),
  time_entries.row_hash = VALUES(row_hash)
