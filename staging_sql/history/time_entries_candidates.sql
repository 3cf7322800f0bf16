-- The time entries this run changed that existed before it (updated_at = now, created_at < now), each as the
-- version it would append (latest version + 1, or 1 when it has none yet), in a temporary table shaped like
-- time_entry_versions; then those whose business_hash equals their latest version's are dropped. MySQL cannot
-- cheaply INSERT … SELECT from the table it reads, hence the temporary table; the latest version of each row is
-- found through the primary key (company_id, time_entry_id, version), for just the rows written now.
DROP TEMPORARY TABLE IF EXISTS history_time_entries;

CREATE TEMPORARY TABLE history_time_entries LIKE time_entry_versions;

INSERT INTO history_time_entries (company_id, time_entry_id, version, source_system, source_id, spent_date, hours,
                                  team_member_id, project_id, client_id, service_line_id, task_name, notes,
                                  is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id,
                                  is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
                                  deleted_at, valid_from, change_kind, sync_log_id)
SELECT t.company_id, t.id, COALESCE(h.version, 0) + 1, t.source_system, t.source_id, t.spent_date, t.hours,
       t.team_member_id, t.project_id, t.client_id, t.service_line_id, t.task_name, t.notes, t.is_billable,
       t.billable_rate, t.cost_rate, t.is_invoiced,
       CASE WHEN t.source_system = 'harvest' THEN (
         SELECT JSON_UNQUOTE(JSON_EXTRACT(he.raw_json, '$.is_locked')) = 'true' FROM staging_harvest_time_entries he
         WHERE he.company_id = t.company_id AND he.id = CAST(t.source_id AS SIGNED)) END,
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
WHERE t.company_id = %(company_id)s AND t.updated_at = %(now)s AND t.created_at < %(now)s;

-- The row changed, but not in a business column (e.g. a Harvest field the model does not keep): no version.
DELETE c FROM history_time_entries c
JOIN time_entry_versions h ON h.company_id = c.company_id AND h.time_entry_id = c.time_entry_id
     AND h.version = c.version - 1
WHERE h.business_hash = c.business_hash
