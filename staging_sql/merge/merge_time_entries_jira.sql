-- Jira worklogs. The person is the worklog author's entity, the project the issue's project's entity (the lookups
-- lookup_jira_people.sql and lookup_jira_issues.sql build). A worklog that copies a Harvest entry (same person,
-- day, seconds and issue; the k-th such worklog pairs with the k-th such entry; a running timer's seconds are
-- those before it was started) keeps its row and points at the entry through duplicate_of_id (the pairs
-- pair_jira_worklogs.sql computes once per merge). Runs after merge_time_entries_harvest.sql in the same transaction.
-- In the shape of merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never by
-- an older staged version), then worklogs not stored yet are inserted; one level, so the hash is spelled out in
-- each place. Full (full = 1), the first statement updates every staged worklog; incremental, the second updates
-- the worklogs of the scope's issues (scope_time_entries_jira.sql), the unit the pairing numbers together.
-- New worklogs are always staged since the watermark.
UPDATE staging_jira_worklogs w
JOIN time_entries t ON t.company_id = w.company_id AND t.source_system = 'jira' AND t.source_id = w.worklog_id
LEFT JOIN merge_jira_people al ON al.account_id = w.author_account_id
LEFT JOIN merge_jira_issue_projects p ON p.issue_id = w.issue_id
LEFT JOIN merge_jira_pairs pr ON pr.worklog_id = w.worklog_id
SET t.spent_date = COALESCE(w.started_local_date, DATE(w.started_at)),
    t.hours = CAST(COALESCE(w.time_spent_seconds, 0) / 3600 AS DECIMAL(10,4)),
    t.team_member_id = al.entity_id,
    t.project_id = p.project_id,
    t.client_id = p.client_id,
    t.service_line_id = p.service_line_id,
    t.notes = w.comment_text,
    t.jira_issue_source_id = w.issue_id,
    t.started_at = w.started_at,
    t.duplicate_of_id = pr.entry_id,
    t.source_updated_at = w.source_updated_at,
    t.deleted_at = w.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.project_id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pr.entry_id, '~'),
                 IFNULL(w.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE w.company_id = %(company_id)s AND %(full)s = 1
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.project_id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pr.entry_id, '~'),
                 IFNULL(w.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR w.source_updated_at IS NULL OR w.source_updated_at >= t.source_updated_at);

UPDATE merge_jira_scope s
JOIN staging_jira_worklogs w ON w.company_id = %(company_id)s AND w.issue_id = s.issue_id
JOIN time_entries t ON t.company_id = w.company_id AND t.source_system = 'jira' AND t.source_id = w.worklog_id
LEFT JOIN merge_jira_people al ON al.account_id = w.author_account_id
LEFT JOIN merge_jira_issue_projects p ON p.issue_id = w.issue_id
LEFT JOIN merge_jira_pairs pr ON pr.worklog_id = w.worklog_id
SET t.spent_date = COALESCE(w.started_local_date, DATE(w.started_at)),
    t.hours = CAST(COALESCE(w.time_spent_seconds, 0) / 3600 AS DECIMAL(10,4)),
    t.team_member_id = al.entity_id,
    t.project_id = p.project_id,
    t.client_id = p.client_id,
    t.service_line_id = p.service_line_id,
    t.notes = w.comment_text,
    t.jira_issue_source_id = w.issue_id,
    t.started_at = w.started_at,
    t.duplicate_of_id = pr.entry_id,
    t.source_updated_at = w.source_updated_at,
    t.deleted_at = w.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.project_id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pr.entry_id, '~'),
                 IFNULL(w.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE %(full)s = 0
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.project_id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pr.entry_id, '~'),
                 IFNULL(w.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR w.source_updated_at IS NULL OR w.source_updated_at >= t.source_updated_at);

INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT w.company_id, 'jira', w.worklog_id, COALESCE(w.started_local_date, DATE(w.started_at)),
       CAST(COALESCE(w.time_spent_seconds, 0) / 3600 AS DECIMAL(10,4)), al.entity_id, p.project_id, p.client_id,
       p.service_line_id, NULL, w.comment_text, NULL, NULL, NULL, 0, NULL, 0, w.issue_id, w.started_at,
       pr.entry_id, w.source_updated_at, w.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.project_id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pr.entry_id, '~'),
                 IFNULL(w.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_jira_worklogs w
LEFT JOIN merge_jira_people al ON al.account_id = w.author_account_id
LEFT JOIN merge_jira_issue_projects p ON p.issue_id = w.issue_id
LEFT JOIN merge_jira_pairs pr ON pr.worklog_id = w.worklog_id
LEFT JOIN time_entries t ON t.company_id = w.company_id AND t.source_system = 'jira' AND t.source_id = w.worklog_id
WHERE w.company_id = %(company_id)s AND (%(full)s = 1 OR w.sync_log_id >= %(since)s) AND t.id IS NULL
