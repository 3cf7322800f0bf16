-- Harvest time entries: person, project and client through the crosswalk, the service line through the
-- task's name (a QBO class of that name), else the project's. Older staged versions never overwrite newer.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.company_id, 'harvest', s.source_id, s.spent_date, s.hours, s.team_member_id, s.project_id, s.client_id,
       s.service_line_id, s.task_name, s.notes, s.is_billable, s.billable_rate, s.cost_rate, s.is_invoiced,
       s.source_invoice_id, s.is_running, s.jira_issue_source_id, NULL, NULL, s.source_updated_at, s.deleted_at,
       s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.row_hash_staged, IFNULL(v.team_member_id, '~'), IFNULL(v.project_id, '~'),
         IFNULL(v.client_id, '~'), IFNULL(v.service_line_id, '~'), IFNULL(v.task_name, '~'),
         IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT he.company_id, CAST(he.id AS CHAR) AS source_id, he.spent_date, CAST(he.hours AS DECIMAL(10,4)) AS hours,
           pl.entity_id AS team_member_id, p.id AS project_id, p.client_id,
           COALESCE(sl.id, p.service_line_id) AS service_line_id, tk.name AS task_name, he.notes,
           he.billable AS is_billable, CAST(he.billable_rate AS DECIMAL(12,2)) AS billable_rate,
           CAST(he.cost_rate AS DECIMAL(12,2)) AS cost_rate,
           (he.invoice_id IS NOT NULL OR COALESCE(he.is_billed, 0) = 1) AS is_invoiced,
           CAST(he.invoice_id AS CHAR) AS source_invoice_id, COALESCE(he.is_running, 0) AS is_running,
           he.external_reference_id AS jira_issue_source_id, he.source_updated_at, he.deleted_at,
           HEX(he.row_hash) AS row_hash_staged
    FROM staging_harvest_time_entries he
    LEFT JOIN source_links pl ON pl.company_id = he.company_id AND pl.entity_type = 'person'
         AND pl.`system` = 'harvest' AND pl.source_type = 'user' AND pl.source_id = CAST(he.user_id AS CHAR)
    LEFT JOIN source_links jl ON jl.company_id = he.company_id AND jl.entity_type = 'project'
         AND jl.`system` = 'harvest' AND jl.source_type = 'project' AND jl.source_id = CAST(he.project_id AS CHAR)
    LEFT JOIN projects p ON p.id = jl.entity_id
    LEFT JOIN staging_harvest_tasks tk ON tk.company_id = he.company_id AND tk.id = he.task_id
    LEFT JOIN service_lines sl ON sl.company_id = he.company_id AND sl.name = tk.name AND sl.deleted_at IS NULL
    WHERE he.company_id = %(company_id)s
  ) v
) s
LEFT JOIN time_entries t ON t.company_id = s.company_id AND t.source_system = 'harvest' AND t.source_id = s.source_id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  time_entries.updated_at = IF(time_entries.row_hash <=> s.row_hash, time_entries.updated_at, %(now)s),
  time_entries.spent_date = s.spent_date,
  time_entries.hours = s.hours,
  time_entries.team_member_id = s.team_member_id,
  time_entries.project_id = s.project_id,
  time_entries.client_id = s.client_id,
  time_entries.service_line_id = s.service_line_id,
  time_entries.task_name = s.task_name,
  time_entries.notes = s.notes,
  time_entries.is_billable = s.is_billable,
  time_entries.billable_rate = s.billable_rate,
  time_entries.cost_rate = s.cost_rate,
  time_entries.is_invoiced = s.is_invoiced,
  time_entries.source_invoice_id = s.source_invoice_id,
  time_entries.is_running = s.is_running,
  time_entries.jira_issue_source_id = s.jira_issue_source_id,
  time_entries.source_updated_at = s.source_updated_at,
  time_entries.deleted_at = s.deleted_at,
  time_entries.row_hash = s.row_hash
