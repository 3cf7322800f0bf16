-- QBO time activities: the person through the Employee or Vendor link, the project through the job
-- (sub-customer) link, the client through the customer link or the project's client, the service line
-- through the class. BillableStatus HasBeenBilled means invoiced.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.company_id, 'qbo', s.source_id, s.spent_date, s.hours, s.team_member_id, s.project_id, s.client_id,
       s.service_line_id, NULL, s.notes, s.is_billable, s.billable_rate, s.cost_rate, s.is_invoiced, NULL, 0, NULL,
       s.started_at, NULL, s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.row_hash_staged, IFNULL(v.team_member_id, '~'), IFNULL(v.project_id, '~'),
         IFNULL(v.client_id, '~'), IFNULL(v.service_line_id, '~'), IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT a.company_id, a.qbo_id AS source_id, a.txn_date AS spent_date,
           CAST(COALESCE(a.duration_hours, COALESCE(a.hours, 0) + COALESCE(a.minutes, 0) / 60) AS DECIMAL(10,4)) AS hours,
           COALESCE(el.entity_id, vl.entity_id) AS team_member_id, p.id AS project_id,
           COALESCE(p.client_id, cl.entity_id) AS client_id, sl.id AS service_line_id, a.description AS notes,
           a.billable_status IN ('Billable', 'HasBeenBilled') AS is_billable,
           CAST(a.hourly_rate AS DECIMAL(12,2)) AS billable_rate, CAST(a.cost_rate AS DECIMAL(12,2)) AS cost_rate,
           COALESCE(a.billable_status = 'HasBeenBilled', 0) AS is_invoiced, a.start_time AS started_at,
           a.source_updated_at, a.deleted_at, HEX(a.row_hash) AS row_hash_staged
    FROM staging_qbo_time_activities a
    LEFT JOIN source_links el ON el.company_id = a.company_id AND el.entity_type = 'person'
         AND el.`system` = 'qbo' AND el.source_type = 'employee' AND el.source_id = a.employee_id
    LEFT JOIN source_links vl ON vl.company_id = a.company_id AND vl.entity_type = 'person'
         AND vl.`system` = 'qbo' AND vl.source_type = 'vendor' AND vl.source_id = a.vendor_id
    LEFT JOIN source_links jl ON jl.company_id = a.company_id AND jl.entity_type = 'project'
         AND jl.`system` = 'qbo' AND jl.source_type = 'job' AND jl.source_id = a.customer_id
    LEFT JOIN projects p ON p.id = jl.entity_id
    LEFT JOIN source_links cl ON cl.company_id = a.company_id AND cl.entity_type = 'client'
         AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = a.customer_id
    LEFT JOIN service_lines sl ON sl.company_id = a.company_id AND sl.qbo_class_id = a.class_id
    WHERE a.company_id = %(company_id)s
  ) v
) s
LEFT JOIN time_entries t ON t.company_id = s.company_id AND t.source_system = 'qbo' AND t.source_id = s.source_id
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
  time_entries.notes = s.notes,
  time_entries.is_billable = s.is_billable,
  time_entries.billable_rate = s.billable_rate,
  time_entries.cost_rate = s.cost_rate,
  time_entries.is_invoiced = s.is_invoiced,
  time_entries.started_at = s.started_at,
  time_entries.source_updated_at = s.source_updated_at,
  time_entries.deleted_at = s.deleted_at,
  time_entries.row_hash = s.row_hash
