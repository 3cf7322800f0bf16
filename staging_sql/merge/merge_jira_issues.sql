-- Jira issues (Jira owns issue data): the project through the Jira project's link, the assignee through the
-- Jira user's link. As merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never
-- by an older staged version), then new issues inserted; the first update reads the issues staged since (full:
-- all), the second merge_jira_issues_scope (scope_jira_issues.sql: issues whose project or assignee link changed
-- in this run; empty when full). One level, so the hash is spelled out in each place.
UPDATE staging_jira_issues i
JOIN jira_issues t ON t.company_id = i.company_id AND t.jira_issue_id = i.issue_id
LEFT JOIN source_links jl ON jl.company_id = i.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'jira' AND jl.source_type = 'project' AND jl.source_id = i.project_id
LEFT JOIN source_links al ON al.company_id = i.company_id AND al.entity_type = 'person'
     AND al.`system` = 'jira' AND al.source_type = 'user' AND al.source_id = i.assignee_account_id
SET t.issue_key = i.issue_key,
    t.project_id = jl.entity_id,
    t.jira_project_key = i.project_key,
    t.summary = i.summary,
    t.issue_type = i.issue_type,
    t.status = i.status,
    t.status_category = i.status_category,
    t.parent_key = i.parent_key,
    t.assignee_team_member_id = al.entity_id,
    t.time_spent_seconds = i.time_spent_seconds,
    t.original_estimate_seconds = i.original_estimate_seconds,
    t.remaining_estimate_seconds = i.remaining_estimate_seconds,
    t.issue_created_at = i.created_at,
    t.source_updated_at = i.source_updated_at,
    t.deleted_at = i.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'), IFNULL(al.entity_id, '~'),
                 IFNULL(i.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE i.company_id = %(company_id)s AND (%(full)s = 1 OR i.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'), IFNULL(al.entity_id, '~'),
                 IFNULL(i.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR i.source_updated_at IS NULL OR i.source_updated_at >= t.source_updated_at);

UPDATE merge_jira_issues_scope s
JOIN staging_jira_issues i ON i.company_id = %(company_id)s AND i.issue_id = s.issue_id
JOIN jira_issues t ON t.company_id = i.company_id AND t.jira_issue_id = i.issue_id
LEFT JOIN source_links jl ON jl.company_id = i.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'jira' AND jl.source_type = 'project' AND jl.source_id = i.project_id
LEFT JOIN source_links al ON al.company_id = i.company_id AND al.entity_type = 'person'
     AND al.`system` = 'jira' AND al.source_type = 'user' AND al.source_id = i.assignee_account_id
SET t.issue_key = i.issue_key,
    t.project_id = jl.entity_id,
    t.jira_project_key = i.project_key,
    t.summary = i.summary,
    t.issue_type = i.issue_type,
    t.status = i.status,
    t.status_category = i.status_category,
    t.parent_key = i.parent_key,
    t.assignee_team_member_id = al.entity_id,
    t.time_spent_seconds = i.time_spent_seconds,
    t.original_estimate_seconds = i.original_estimate_seconds,
    t.remaining_estimate_seconds = i.remaining_estimate_seconds,
    t.issue_created_at = i.created_at,
    t.source_updated_at = i.source_updated_at,
    t.deleted_at = i.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'), IFNULL(al.entity_id, '~'),
                 IFNULL(i.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(i.row_hash), IFNULL(jl.entity_id, '~'), IFNULL(al.entity_id, '~'),
                 IFNULL(i.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR i.source_updated_at IS NULL OR i.source_updated_at >= t.source_updated_at);

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
WHERE i.company_id = %(company_id)s AND (%(full)s = 1 OR i.sync_log_id >= %(since)s) AND t.id IS NULL
