-- Harvest time entries: person, project and client through the crosswalk (the lookups built by
-- lookup_harvest_people.sql and lookup_harvest_projects.sql just before), the service line through the
-- task's name (a QBO class of that name), else the project's; is_locked from the staged record (no typed
-- column: 0033 keeps the staging table lean). Older staged versions never overwrite newer.
-- Stored rows whose hash differs are updated in place, then entries not stored yet are inserted (new entries
-- are always staged since the watermark). The first update reads the entries staged since (full: all), the
-- second those of merge_harvest_scope: not re-staged, but a change in this run can have changed them
-- (scope_time_entries_harvest.sql; empty when full). An upsert (INSERT … ON DUPLICATE KEY UPDATE) costs about
-- twice as much per changed row: InnoDB first inserts the clustered row, meets the duplicate in the unique source
-- key, undoes it and only then updates.
-- One level, no derived tables: MariaDB 10.11 skipped rows when merged derived tables fed an upsert, and
-- materializing them cost a temp table of every staged row. The hash is therefore spelled out in each place.
UPDATE staging_harvest_time_entries he
JOIN time_entries t ON t.company_id = he.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(he.id AS CHAR)
LEFT JOIN merge_harvest_people pl ON pl.user_id = he.user_id
LEFT JOIN merge_harvest_projects p ON p.project_id = he.project_id
LEFT JOIN staging_harvest_tasks tk ON tk.company_id = he.company_id AND tk.id = he.task_id
LEFT JOIN service_lines sl ON sl.company_id = he.company_id AND sl.name = tk.name AND sl.deleted_at IS NULL
SET t.spent_date = he.spent_date,
    t.hours = CAST(he.hours AS DECIMAL(10,4)),
    t.team_member_id = pl.entity_id,
    t.project_id = p.id,
    t.client_id = p.client_id,
    t.service_line_id = COALESCE(sl.id, p.service_line_id),
    t.task_name = tk.name,
    t.notes = he.notes,
    t.is_billable = he.billable,
    t.billable_rate = CAST(he.billable_rate AS DECIMAL(12,2)),
    t.cost_rate = CAST(he.cost_rate AS DECIMAL(12,2)),
    t.is_invoiced = (he.invoice_id IS NOT NULL OR COALESCE(he.is_billed, 0) = 1),
    t.is_locked = JSON_UNQUOTE(JSON_EXTRACT(he.raw_json, '$.is_locked')) = 'true',
    t.source_invoice_id = CAST(he.invoice_id AS CHAR),
    t.is_running = COALESCE(he.is_running, 0),
    t.jira_issue_source_id = he.external_reference_id,
    t.source_updated_at = he.source_updated_at,
    t.deleted_at = he.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
                 IFNULL(he.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE he.company_id = %(company_id)s AND (%(full)s = 1 OR he.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
                   IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
                   IFNULL(he.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR he.source_updated_at IS NULL OR he.source_updated_at >= t.source_updated_at);

UPDATE merge_harvest_scope s
JOIN staging_harvest_time_entries he ON he.company_id = %(company_id)s AND he.id = s.id
JOIN time_entries t ON t.company_id = he.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(he.id AS CHAR)
LEFT JOIN merge_harvest_people pl ON pl.user_id = he.user_id
LEFT JOIN merge_harvest_projects p ON p.project_id = he.project_id
LEFT JOIN staging_harvest_tasks tk ON tk.company_id = he.company_id AND tk.id = he.task_id
LEFT JOIN service_lines sl ON sl.company_id = he.company_id AND sl.name = tk.name AND sl.deleted_at IS NULL
SET t.spent_date = he.spent_date,
    t.hours = CAST(he.hours AS DECIMAL(10,4)),
    t.team_member_id = pl.entity_id,
    t.project_id = p.id,
    t.client_id = p.client_id,
    t.service_line_id = COALESCE(sl.id, p.service_line_id),
    t.task_name = tk.name,
    t.notes = he.notes,
    t.is_billable = he.billable,
    t.billable_rate = CAST(he.billable_rate AS DECIMAL(12,2)),
    t.cost_rate = CAST(he.cost_rate AS DECIMAL(12,2)),
    t.is_invoiced = (he.invoice_id IS NOT NULL OR COALESCE(he.is_billed, 0) = 1),
    t.is_locked = JSON_UNQUOTE(JSON_EXTRACT(he.raw_json, '$.is_locked')) = 'true',
    t.source_invoice_id = CAST(he.invoice_id AS CHAR),
    t.is_running = COALESCE(he.is_running, 0),
    t.jira_issue_source_id = he.external_reference_id,
    t.source_updated_at = he.source_updated_at,
    t.deleted_at = he.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
                 IFNULL(he.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(he.row_hash), IFNULL(pl.entity_id, '~'), IFNULL(p.id, '~'),
                   IFNULL(p.client_id, '~'), IFNULL(COALESCE(sl.id, p.service_line_id), '~'), IFNULL(tk.name, '~'),
                   IFNULL(he.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR he.source_updated_at IS NULL OR he.source_updated_at >= t.source_updated_at);

INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, is_locked, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT he.company_id, 'harvest', CAST(he.id AS CHAR), he.spent_date, CAST(he.hours AS DECIMAL(10,4)), pl.entity_id,
       p.id, p.client_id, COALESCE(sl.id, p.service_line_id), tk.name, he.notes, he.billable,
       CAST(he.billable_rate AS DECIMAL(12,2)), CAST(he.cost_rate AS DECIMAL(12,2)),
       (he.invoice_id IS NOT NULL OR COALESCE(he.is_billed, 0) = 1),
       JSON_UNQUOTE(JSON_EXTRACT(he.raw_json, '$.is_locked')) = 'true', CAST(he.invoice_id AS CHAR),
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
WHERE he.company_id = %(company_id)s AND (%(full)s = 1 OR he.sync_log_id >= %(since)s) AND t.id IS NULL
