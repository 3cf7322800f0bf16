-- The Harvest pairing of the scope's worklogs, computed once per merge into merge_jira_pairs (worklog -> entry):
-- a worklog that copies a Harvest entry (same person, day, seconds and issue; the k-th such worklog by id
-- pairs with the k-th such entry by row id; a running timer's seconds are those before it was started).
-- Entries and worklogs are numbered once each, into indexed temporary tables, and joined on the five keys.
-- Only the worklogs of (person, day, seconds, issue) groups that hold an entry are numbered: a whole group is
-- kept or left, so the numbers are those of every worklog. Runs after scope_time_entries_jira.sql.
DROP TEMPORARY TABLE IF EXISTS merge_jira_entry_keys;

CREATE TEMPORARY TABLE merge_jira_entry_keys (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  day DATE NOT NULL,
  seconds BIGINT NOT NULL,
  n BIGINT UNSIGNED NOT NULL,
  entry_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (issue_id, member_id, day, seconds, n)
) ENGINE=InnoDB;

INSERT INTO merge_jira_entry_keys (issue_id, member_id, day, seconds, n, entry_id)
SELECT t.jira_issue_source_id, t.team_member_id, t.spent_date,
       CAST(ROUND(IF(h.is_running, h.hours_without_timer, h.hours) * 3600) AS SIGNED),
       ROW_NUMBER() OVER (PARTITION BY t.jira_issue_source_id, t.team_member_id, t.spent_date,
                          ROUND(IF(h.is_running, h.hours_without_timer, h.hours) * 3600) ORDER BY t.id),
       t.id
FROM merge_jira_scope s
JOIN time_entries t ON t.company_id = %(company_id)s AND t.jira_issue_source_id = s.issue_id
JOIN staging_harvest_time_entries h ON h.company_id = t.company_id AND h.id = CAST(t.source_id AS SIGNED)
WHERE t.source_system = 'harvest' AND t.deleted_at IS NULL AND t.team_member_id IS NOT NULL
  AND IF(h.is_running, h.hours_without_timer, h.hours) IS NOT NULL;

DROP TEMPORARY TABLE IF EXISTS merge_jira_worklog_keys;

CREATE TEMPORARY TABLE merge_jira_worklog_keys (
  issue_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  day DATE NOT NULL,
  seconds BIGINT NOT NULL,
  n BIGINT UNSIGNED NOT NULL,
  worklog_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (issue_id, member_id, day, seconds, n)
) ENGINE=InnoDB;

INSERT INTO merge_jira_worklog_keys (issue_id, member_id, day, seconds, n, worklog_id)
SELECT x.issue_id, pl.entity_id, COALESCE(x.started_local_date, DATE(x.started_at)), x.time_spent_seconds,
       ROW_NUMBER() OVER (PARTITION BY x.issue_id, pl.entity_id, COALESCE(x.started_local_date, DATE(x.started_at)),
                          x.time_spent_seconds ORDER BY x.worklog_id),
       x.worklog_id
FROM merge_jira_scope s
JOIN staging_jira_worklogs x ON x.company_id = %(company_id)s AND x.issue_id = s.issue_id
JOIN merge_jira_people pl ON pl.account_id = x.author_account_id
JOIN merge_jira_entry_keys e ON e.issue_id = x.issue_id AND e.member_id = pl.entity_id
     AND e.day = COALESCE(x.started_local_date, DATE(x.started_at)) AND e.seconds = x.time_spent_seconds AND e.n = 1
WHERE x.deleted_at IS NULL;

DROP TEMPORARY TABLE IF EXISTS merge_jira_pairs;

CREATE TEMPORARY TABLE merge_jira_pairs (
  worklog_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
  entry_id BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;

INSERT INTO merge_jira_pairs (worklog_id, entry_id)
SELECT k.worklog_id, e.entry_id
FROM merge_jira_worklog_keys k
JOIN merge_jira_entry_keys e ON e.issue_id = k.issue_id AND e.member_id = k.member_id AND e.day = k.day
     AND e.seconds = k.seconds AND e.n = k.n
