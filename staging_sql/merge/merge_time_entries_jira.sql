-- Jira worklogs. The person is the worklog author's entity, the project the issue's project's entity.
-- A worklog that copies a Harvest entry (same person, day, seconds and issue; the k-th such worklog pairs
-- with the k-th such entry; a running timer's seconds are those before it was started) keeps its row and points at the entry through duplicate_of_id.
-- Runs after merge_time_entries_harvest.sql in the same transaction.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.company_id, 'jira', s.source_id, s.spent_date, s.hours, s.team_member_id, s.project_id, s.client_id,
       s.service_line_id, NULL, s.notes, NULL, NULL, NULL, 0, NULL, 0, s.jira_issue_source_id, s.started_at,
       s.duplicate_of_id, s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.row_hash_staged, IFNULL(v.team_member_id, '~'), IFNULL(v.project_id, '~'),
         IFNULL(v.client_id, '~'), IFNULL(v.service_line_id, '~'), IFNULL(v.duplicate_of_id, '~'),
         IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT w.company_id, w.worklog_id AS source_id, COALESCE(w.started_local_date, DATE(w.started_at)) AS spent_date,
           CAST(COALESCE(w.time_spent_seconds, 0) / 3600 AS DECIMAL(10,4)) AS hours,
           al.entity_id AS team_member_id, p.id AS project_id, p.client_id, p.service_line_id,
           w.comment_text AS notes, w.issue_id AS jira_issue_source_id, w.started_at, pair.entry_id AS duplicate_of_id,
           w.source_updated_at, w.deleted_at, HEX(w.row_hash) AS row_hash_staged
    FROM staging_jira_worklogs w
    LEFT JOIN source_links al ON al.company_id = w.company_id AND al.entity_type = 'person'
         AND al.`system` = 'jira' AND al.source_type = 'user' AND al.source_id = w.author_account_id
    LEFT JOIN staging_jira_issues i ON i.company_id = w.company_id AND i.issue_id = w.issue_id
    LEFT JOIN source_links jl ON jl.company_id = w.company_id AND jl.entity_type = 'project'
         AND jl.`system` = 'jira' AND jl.source_type = 'project' AND jl.source_id = i.project_id
    LEFT JOIN projects p ON p.id = jl.entity_id
    LEFT JOIN (
      SELECT wl.worklog_id, he.entry_id
      FROM (
        SELECT x.worklog_id, l.entity_id AS member_id, COALESCE(x.started_local_date, DATE(x.started_at)) AS day,
               x.time_spent_seconds AS seconds, x.issue_id,
               ROW_NUMBER() OVER (PARTITION BY l.entity_id, COALESCE(x.started_local_date, DATE(x.started_at)),
                                  x.time_spent_seconds, x.issue_id ORDER BY x.worklog_id) AS n
        FROM staging_jira_worklogs x
        JOIN source_links l ON l.company_id = x.company_id AND l.entity_type = 'person' AND l.`system` = 'jira'
             AND l.source_type = 'user' AND l.source_id = x.author_account_id
        WHERE x.company_id = %(company_id)s AND x.deleted_at IS NULL
      ) wl
      JOIN (
        SELECT t.id AS entry_id, t.team_member_id AS member_id, t.spent_date AS day,
               ROUND(IF(h.is_running, h.hours_without_timer, h.hours) * 3600) AS seconds,
               t.jira_issue_source_id AS issue_id,
               ROW_NUMBER() OVER (PARTITION BY t.team_member_id, t.spent_date,
                                  ROUND(IF(h.is_running, h.hours_without_timer, h.hours) * 3600),
                                  t.jira_issue_source_id ORDER BY t.id) AS n
        FROM time_entries t
        JOIN staging_harvest_time_entries h ON h.company_id = t.company_id AND h.id = CAST(t.source_id AS SIGNED)
        WHERE t.company_id = %(company_id)s AND t.source_system = 'harvest' AND t.jira_issue_source_id IS NOT NULL
          AND t.deleted_at IS NULL AND t.team_member_id IS NOT NULL
      ) he ON he.member_id = wl.member_id AND he.day = wl.day AND he.seconds = wl.seconds
           AND he.issue_id = wl.issue_id AND he.n = wl.n
    ) pair ON pair.worklog_id = w.worklog_id
    WHERE w.company_id = %(company_id)s
  ) v
) s
LEFT JOIN time_entries t ON t.company_id = s.company_id AND t.source_system = 'jira' AND t.source_id = s.source_id
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
  time_entries.jira_issue_source_id = s.jira_issue_source_id,
  time_entries.started_at = s.started_at,
  time_entries.duplicate_of_id = s.duplicate_of_id,
  time_entries.source_updated_at = s.source_updated_at,
  time_entries.deleted_at = s.deleted_at,
  time_entries.row_hash = s.row_hash
