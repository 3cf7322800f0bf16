-- Incremental (full = 0): the staged issues not staged since the watermark whose Jira project link or assignee's
-- person link changed in this run, in merge_jira_issues_scope for the second statement of merge_jira_issues.sql.
-- An empty changed set reads nothing (an impossible semi-join), else one pass over the company's staged issues.
DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_scope;

CREATE TEMPORARY TABLE merge_jira_issues_scope (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_changed_projects;

CREATE TEMPORARY TABLE merge_jira_issues_changed_projects (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_jira_issues_changed_projects (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'project' AND `system` = 'jira'
  AND source_type = 'project' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_jira_issues_scope (issue_id)
SELECT i.issue_id FROM staging_jira_issues i
WHERE i.company_id = %(company_id)s AND i.sync_log_id < %(since)s
  AND i.project_id IN (SELECT source_id FROM merge_jira_issues_changed_projects);

DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_changed_people;

CREATE TEMPORARY TABLE merge_jira_issues_changed_people LIKE merge_jira_issues_changed_projects;

INSERT INTO merge_jira_issues_changed_people (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'jira'
  AND source_type = 'user' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_jira_issues_scope (issue_id)
SELECT i.issue_id FROM staging_jira_issues i
WHERE i.company_id = %(company_id)s AND i.sync_log_id < %(since)s
  AND i.assignee_account_id IN (SELECT source_id FROM merge_jira_issues_changed_people)
