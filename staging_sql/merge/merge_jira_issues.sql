-- Jira issues (Jira owns issue data): the project through the Jira project's link, the assignee through the
-- Jira user's link. One level, hash-only, never older over newer; the hash is spelled out twice.
INSERT INTO jira_issues (company_id, jira_issue_id, issue_key, project_id, jira_project_key, summary, issue_type,
                         status, status_category, parent_key, assignee_team_member_id, time_spent_seconds,
                         original_estimate_seconds, remaining_estimate_seconds, issue_created_at,
                         source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT i.company_id, i.issue_id, i.issue_key, jl.entity_id, i.project_key, i.summary, i.issue_type, i.status,
       i.status_category, i.parent_key, al.entity_id, i.time_spent_seconds, i.original_estimate_seconds,
       i.remaining_estimate_seconds, i.created_at, i.source_updated_at, i.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'), IFNULL(al.entity_id, '~'),
             IFNULL(i.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_jira_issues i
LEFT JOIN source_links jl ON jl.company_id = i.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'jira' AND jl.source_type = 'project' AND jl.source_id = i.project_id
LEFT JOIN source_links al ON al.company_id = i.company_id AND al.entity_type = 'person'
     AND al.`system` = 'jira' AND al.source_type = 'user' AND al.source_id = i.assignee_account_id
LEFT JOIN jira_issues t ON t.company_id = i.company_id AND t.jira_issue_id = i.issue_id
WHERE i.company_id = %(company_id)s AND (%(full)s = 1 OR i.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'),
                 IFNULL(al.entity_id, '~'), IFNULL(i.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR i.source_updated_at IS NULL
                OR i.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  jira_issues.updated_at = IF(jira_issues.row_hash <=> VALUES(row_hash), jira_issues.updated_at, %(now)s),
  jira_issues.issue_key = VALUES(issue_key),
  jira_issues.project_id = VALUES(project_id),
  jira_issues.jira_project_key = VALUES(jira_project_key),
  jira_issues.summary = VALUES(summary),
  jira_issues.issue_type = VALUES(issue_type),
  jira_issues.status = VALUES(status),
  jira_issues.status_category = VALUES(status_category),
  jira_issues.parent_key = VALUES(parent_key),
  jira_issues.assignee_team_member_id = VALUES(assignee_team_member_id),
  jira_issues.time_spent_seconds = VALUES(time_spent_seconds),
  jira_issues.original_estimate_seconds = VALUES(original_estimate_seconds),
  jira_issues.remaining_estimate_seconds = VALUES(remaining_estimate_seconds),
  jira_issues.issue_created_at = VALUES(issue_created_at),
  jira_issues.source_updated_at = VALUES(source_updated_at),
  jira_issues.deleted_at = VALUES(deleted_at),
  jira_issues.row_hash = VALUES(row_hash)
