-- The issues whose worklogs merge_time_entries_jira.sql re-merges, in merge_jira_scope. Pairs never cross issues,
-- so an issue is the unit: every worklog of a scope issue is merged and paired again, no other is.
-- Full (full = 1): every issue with a staged worklog. Incremental, the issues that can have changed since the
-- watermark, each found through an index or, for a changed link, one pass over the staged worklogs or issues:
--   * of a worklog staged since;
--   * of a worklog whose author's person link changed in this run;
--   * of a Harvest entry this run wrote (its issue now, and the issue of the worklog it was paired with) or that
--     was staged since (the pairing reads its hours from staging);
--   * staged since, or linked to a Jira project whose link or project row changed in this run, and whose
--     project, client or service line now differs from that of one of its stored worklogs (a re-staged issue
--     whose project did not change re-merges nothing).
-- Runs after lookup_jira_people.sql and lookup_jira_issues.sql, and after the Harvest entry merge.
DROP TEMPORARY TABLE IF EXISTS merge_jira_scope;

CREATE TEMPORARY TABLE merge_jira_scope (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

INSERT INTO merge_jira_scope (issue_id)
SELECT DISTINCT issue_id FROM staging_jira_worklogs
WHERE company_id = %(company_id)s AND %(full)s = 1 AND issue_id IS NOT NULL;

INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT issue_id FROM staging_jira_worklogs
WHERE company_id = %(company_id)s AND %(full)s = 0 AND sync_log_id >= %(since)s AND issue_id IS NOT NULL;

DROP TEMPORARY TABLE IF EXISTS merge_jira_changed_people;

CREATE TEMPORARY TABLE merge_jira_changed_people (
  account_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_jira_changed_people (account_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'jira'
  AND source_type = 'user' AND updated_at = %(now)s;

-- Empty (the usual case), the semi-join is impossible and reads nothing.
INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT w.issue_id FROM staging_jira_worklogs w
WHERE w.company_id = %(company_id)s AND w.issue_id IS NOT NULL
  AND w.author_account_id IN (SELECT account_id FROM merge_jira_changed_people);

INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT t.jira_issue_source_id FROM time_entries t
WHERE t.company_id = %(company_id)s AND %(full)s = 0 AND t.updated_at = %(now)s AND t.source_system = 'harvest'
  AND t.jira_issue_source_id IS NOT NULL;

INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT j.jira_issue_source_id FROM time_entries t
JOIN time_entries j ON j.duplicate_of_id = t.id
WHERE t.company_id = %(company_id)s AND %(full)s = 0 AND t.updated_at = %(now)s AND t.source_system = 'harvest'
  AND j.company_id = t.company_id AND j.jira_issue_source_id IS NOT NULL;

INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT t.jira_issue_source_id FROM staging_harvest_time_entries h
JOIN time_entries t ON t.company_id = h.company_id AND t.source_system = 'harvest' AND t.source_id = CAST(h.id AS CHAR)
WHERE h.company_id = %(company_id)s AND %(full)s = 0 AND h.sync_log_id >= %(since)s
  AND t.jira_issue_source_id IS NOT NULL;

DROP TEMPORARY TABLE IF EXISTS merge_jira_changed_projects;

CREATE TEMPORARY TABLE merge_jira_changed_projects (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_jira_changed_projects (source_id)
SELECT l.source_id FROM source_links l
LEFT JOIN projects p ON p.id = l.entity_id AND p.updated_at = %(now)s
WHERE l.company_id = %(company_id)s AND %(full)s = 0 AND l.entity_type = 'project' AND l.`system` = 'jira'
  AND l.source_type = 'project' AND (l.updated_at = %(now)s OR p.id IS NOT NULL);

DROP TEMPORARY TABLE IF EXISTS merge_jira_candidates;

CREATE TEMPORARY TABLE merge_jira_candidates (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

INSERT INTO merge_jira_candidates (issue_id)
SELECT issue_id FROM staging_jira_issues
WHERE company_id = %(company_id)s AND %(full)s = 0 AND sync_log_id >= %(since)s;

INSERT IGNORE INTO merge_jira_candidates (issue_id)
SELECT i.issue_id FROM staging_jira_issues i
WHERE i.company_id = %(company_id)s AND i.project_id IN (SELECT source_id FROM merge_jira_changed_projects);

INSERT IGNORE INTO merge_jira_scope (issue_id)
SELECT DISTINCT c.issue_id FROM merge_jira_candidates c
JOIN time_entries t ON t.company_id = %(company_id)s AND t.jira_issue_source_id = c.issue_id
LEFT JOIN merge_jira_issue_projects p ON p.issue_id = c.issue_id
WHERE t.source_system = 'jira'
  AND NOT (t.project_id <=> p.project_id AND t.client_id <=> p.client_id AND t.service_line_id <=> p.service_line_id)
