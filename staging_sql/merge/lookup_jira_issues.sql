-- Staged Jira issue -> the project row of its Jira project's link (id, client, service line), for the worklog
-- merge. Issues whose project has no link or no row are absent: their worklogs get no project, as before.
-- InnoDB, not MEMORY: one row per issue can outgrow max_heap_table_size.
DROP TEMPORARY TABLE IF EXISTS merge_jira_issue_projects;

CREATE TEMPORARY TABLE merge_jira_issue_projects (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
  project_id BIGINT UNSIGNED NOT NULL,
  client_id BIGINT UNSIGNED NULL,
  service_line_id BIGINT UNSIGNED NULL
) ENGINE=InnoDB;

INSERT INTO merge_jira_issue_projects (issue_id, project_id, client_id, service_line_id)
SELECT i.issue_id, p.id, p.client_id, p.service_line_id
FROM staging_jira_issues i
JOIN source_links jl ON jl.company_id = i.company_id AND jl.entity_type = 'project' AND jl.`system` = 'jira'
     AND jl.source_type = 'project' AND jl.source_id = i.project_id
JOIN projects p ON p.id = jl.entity_id
WHERE i.company_id = %(company_id)s;
