-- Jira worklogs. The person is the worklog author's entity, the project the issue's project's entity.
-- A worklog that copies a Harvest entry (same person, day, seconds and issue; the k-th such worklog pairs
-- with the k-th such entry; a running timer's seconds are those before it was started) keeps its row and points
-- at the entry through duplicate_of_id.
-- Incremental (full = 0) it merges every worklog of each issue with a worklog staged since `since`: the pairing
-- numbers the worklogs of an issue together, so one staged worklog can move the pairs of its neighbours.
-- Runs after merge_time_entries_harvest.sql in the same transaction.
-- One level apart from the pairing, whose window functions are always materialized (see
-- merge_time_entries_harvest.sql); the hash is spelled out twice.
INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, team_member_id, project_id,
                          client_id, service_line_id, task_name, notes, is_billable, billable_rate, cost_rate,
                          is_invoiced, source_invoice_id, is_running, jira_issue_source_id, started_at,
                          duplicate_of_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT w.company_id, 'jira', w.worklog_id, COALESCE(w.started_local_date, DATE(w.started_at)),
       CAST(COALESCE(w.time_spent_seconds, 0) / 3600 AS DECIMAL(10,4)), al.entity_id, p.id, p.client_id,
       p.service_line_id, NULL, w.comment_text, NULL, NULL, NULL, 0, NULL, 0, w.issue_id, w.started_at,
       pair.entry_id, w.source_updated_at, w.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.id, '~'),
             IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pair.entry_id, '~'),
             IFNULL(w.deleted_at, '~')))),
       %(now)s, %(now)s
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
      -- Pairs never cross issues: numbering only the issues merged below gives the same pairs.
      AND x.issue_id IN (SELECT c.issue_id FROM staging_jira_worklogs c
                         WHERE c.company_id = %(company_id)s AND (%(full)s = 1 OR c.sync_log_id >= %(since)s))
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
      AND t.jira_issue_source_id IN (
            SELECT c.issue_id FROM staging_jira_worklogs c
            WHERE c.company_id = %(company_id)s AND (%(full)s = 1 OR c.sync_log_id >= %(since)s))
  ) he ON he.member_id = wl.member_id AND he.day = wl.day AND he.seconds = wl.seconds
       AND he.issue_id = wl.issue_id AND he.n = wl.n
) pair ON pair.worklog_id = w.worklog_id
LEFT JOIN time_entries t ON t.company_id = w.company_id AND t.source_system = 'jira' AND t.source_id = w.worklog_id
WHERE w.company_id = %(company_id)s
  AND (%(full)s = 1 OR w.sync_log_id >= %(since)s
       OR w.issue_id IN (SELECT c.issue_id FROM staging_jira_worklogs c
                         WHERE c.company_id = %(company_id)s AND c.sync_log_id >= %(since)s))
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(w.row_hash), IFNULL(al.entity_id, '~'), IFNULL(p.id, '~'),
                 IFNULL(p.client_id, '~'), IFNULL(p.service_line_id, '~'), IFNULL(pair.entry_id, '~'),
                 IFNULL(w.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR w.source_updated_at IS NULL
                OR w.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  time_entries.updated_at = IF(time_entries.row_hash <=> VALUES(row_hash), time_entries.updated_at, %(now)s),
  time_entries.spent_date = VALUES(spent_date),
  time_entries.hours = VALUES(hours),
  time_entries.team_member_id = VALUES(team_member_id),
  time_entries.project_id = VALUES(project_id),
  time_entries.client_id = VALUES(client_id),
  time_entries.service_line_id = VALUES(service_line_id),
  time_entries.notes = VALUES(notes),
  time_entries.jira_issue_source_id = VALUES(jira_issue_source_id),
  time_entries.started_at = VALUES(started_at),
  time_entries.duplicate_of_id = VALUES(duplicate_of_id),
  time_entries.source_updated_at = VALUES(source_updated_at),
  time_entries.deleted_at = VALUES(deleted_at),
  time_entries.row_hash = VALUES(row_hash)
