-- QBO time activities: the person through the Employee or Vendor link, the project through the job
-- (sub-customer) link, the client through the customer link or the project's client, the service line
-- through the class. BillableStatus HasBeenBilled means invoiced.
-- One level, no derived tables (see merge_time_entries_harvest.sql); the hash is spelled out twice.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT a.company_id, 'qbo', a.qbo_id, a.txn_date,
       CAST(COALESCE(a.duration_hours, COALESCE(a.hours, 0) + COALESCE(a.minutes, 0) / 60) AS DECIMAL(10,4)),
       COALESCE(el.entity_id, vl.entity_id), p.id, COALESCE(p.client_id, cl.entity_id), sl.id, NULL, a.description,
       a.billable_status IN ('Billable', 'HasBeenBilled'), CAST(a.hourly_rate AS DECIMAL(12,2)),
       CAST(a.cost_rate AS DECIMAL(12,2)), COALESCE(a.billable_status = 'HasBeenBilled', 0), NULL, 0, NULL,
       a.start_time, NULL, a.source_updated_at, a.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'), IFNULL(p.id, '~'),
             IFNULL(COALESCE(p.client_id, cl.entity_id), '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~')))),
       %(now)s, %(now)s
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
LEFT JOIN time_entries t ON t.company_id = a.company_id AND t.source_system = 'qbo' AND t.source_id = a.qbo_id
WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
                 IFNULL(p.id, '~'), IFNULL(COALESCE(p.client_id, cl.entity_id), '~'), IFNULL(sl.id, '~'),
                 IFNULL(a.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR a.source_updated_at IS NULL
                OR a.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  time_entries.updated_at = IF(time_entries.row_hash <=> VALUES(row_hash), time_entries.updated_at, %(now)s),
  time_entries.spent_date = VALUES(spent_date),
  time_entries.hours = VALUES(hours),
  time_entries.team_member_id = VALUES(team_member_id),
  time_entries.project_id = VALUES(project_id),
  time_entries.client_id = VALUES(client_id),
  time_entries.service_line_id = VALUES(service_line_id),
  time_entries.notes = VALUES(notes),
  time_entries.is_billable = VALUES(is_billable),
  time_entries.billable_rate = VALUES(billable_rate),
  time_entries.cost_rate = VALUES(cost_rate),
  time_entries.is_invoiced = VALUES(is_invoiced),
  time_entries.started_at = VALUES(started_at),
  time_entries.source_updated_at = VALUES(source_updated_at),
  time_entries.deleted_at = VALUES(deleted_at),
  time_entries.row_hash = VALUES(row_hash)
