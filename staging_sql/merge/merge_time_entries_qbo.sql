-- QBO time activities: the person through the Employee or Vendor link, the project through the job
-- (sub-customer) link, the client through the project's client, else the customer's own link (all three from
-- the lookups lookup_qbo_people.sql and lookup_qbo_customers.sql build just before), the service line through
-- the class. BillableStatus HasBeenBilled means invoiced. As merge_time_entries_harvest.sql: stored rows whose
-- hash differs are updated in place (never by an older staged version), then new ones inserted; one level,
-- no derived tables, so the hash is spelled out in each place. The first update reads the activities staged
-- since (full: all), the second merge_qbo_scope (scope_time_entries_qbo.sql: not re-staged, but a change in this
-- run can have changed them; empty when full).
UPDATE staging_qbo_time_activities a
JOIN time_entries t ON t.company_id = a.company_id AND t.source_system = 'qbo' AND t.source_id = a.qbo_id
LEFT JOIN merge_qbo_employees el ON el.source_id = a.employee_id
LEFT JOIN merge_qbo_vendors vl ON vl.source_id = a.vendor_id
LEFT JOIN merge_qbo_customers c ON c.customer_id = a.customer_id
LEFT JOIN service_lines sl ON sl.company_id = a.company_id AND sl.qbo_class_id = a.class_id
SET t.spent_date = a.txn_date,
    t.hours = CAST(COALESCE(a.duration_hours, COALESCE(a.hours, 0) + COALESCE(a.minutes, 0) / 60) AS DECIMAL(10,4)),
    t.team_member_id = COALESCE(el.entity_id, vl.entity_id),
    t.project_id = c.project_id,
    t.client_id = c.client_id,
    t.service_line_id = sl.id,
    t.notes = a.description,
    t.is_billable = a.billable_status IN ('Billable', 'HasBeenBilled'),
    t.billable_rate = CAST(a.hourly_rate AS DECIMAL(12,2)),
    t.cost_rate = CAST(a.cost_rate AS DECIMAL(12,2)),
    t.is_invoiced = COALESCE(a.billable_status = 'HasBeenBilled', 0),
    t.started_at = a.start_time,
    t.source_updated_at = a.source_updated_at,
    t.deleted_at = a.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
                 IFNULL(c.project_id, '~'), IFNULL(c.client_id, '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
                 IFNULL(c.project_id, '~'), IFNULL(c.client_id, '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR a.source_updated_at IS NULL OR a.source_updated_at >= t.source_updated_at);

UPDATE merge_qbo_scope s
JOIN staging_qbo_time_activities a ON a.company_id = %(company_id)s AND a.qbo_id = s.qbo_id
JOIN time_entries t ON t.company_id = a.company_id AND t.source_system = 'qbo' AND t.source_id = a.qbo_id
LEFT JOIN merge_qbo_employees el ON el.source_id = a.employee_id
LEFT JOIN merge_qbo_vendors vl ON vl.source_id = a.vendor_id
LEFT JOIN merge_qbo_customers c ON c.customer_id = a.customer_id
LEFT JOIN service_lines sl ON sl.company_id = a.company_id AND sl.qbo_class_id = a.class_id
SET t.spent_date = a.txn_date,
    t.hours = CAST(COALESCE(a.duration_hours, COALESCE(a.hours, 0) + COALESCE(a.minutes, 0) / 60) AS DECIMAL(10,4)),
    t.team_member_id = COALESCE(el.entity_id, vl.entity_id),
    t.project_id = c.project_id,
    t.client_id = c.client_id,
    t.service_line_id = sl.id,
    t.notes = a.description,
    t.is_billable = a.billable_status IN ('Billable', 'HasBeenBilled'),
    t.billable_rate = CAST(a.hourly_rate AS DECIMAL(12,2)),
    t.cost_rate = CAST(a.cost_rate AS DECIMAL(12,2)),
    t.is_invoiced = COALESCE(a.billable_status = 'HasBeenBilled', 0),
    t.started_at = a.start_time,
    t.source_updated_at = a.source_updated_at,
    t.deleted_at = a.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
                 IFNULL(c.project_id, '~'), IFNULL(c.client_id, '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
                 IFNULL(c.project_id, '~'), IFNULL(c.client_id, '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR a.source_updated_at IS NULL OR a.source_updated_at >= t.source_updated_at);

INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT a.company_id, 'qbo', a.qbo_id, a.txn_date,
       CAST(COALESCE(a.duration_hours, COALESCE(a.hours, 0) + COALESCE(a.minutes, 0) / 60) AS DECIMAL(10,4)),
       COALESCE(el.entity_id, vl.entity_id), c.project_id, c.client_id, sl.id, NULL, a.description,
       a.billable_status IN ('Billable', 'HasBeenBilled'), CAST(a.hourly_rate AS DECIMAL(12,2)),
       CAST(a.cost_rate AS DECIMAL(12,2)), COALESCE(a.billable_status = 'HasBeenBilled', 0), NULL, 0, NULL,
       a.start_time, NULL, a.source_updated_at, a.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(COALESCE(el.entity_id, vl.entity_id), '~'),
             IFNULL(c.project_id, '~'), IFNULL(c.client_id, '~'), IFNULL(sl.id, '~'), IFNULL(a.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_qbo_time_activities a
LEFT JOIN merge_qbo_employees el ON el.source_id = a.employee_id
LEFT JOIN merge_qbo_vendors vl ON vl.source_id = a.vendor_id
LEFT JOIN merge_qbo_customers c ON c.customer_id = a.customer_id
LEFT JOIN service_lines sl ON sl.company_id = a.company_id AND sl.qbo_class_id = a.class_id
LEFT JOIN time_entries t ON t.company_id = a.company_id AND t.source_system = 'qbo' AND t.source_id = a.qbo_id
WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s) AND t.id IS NULL
