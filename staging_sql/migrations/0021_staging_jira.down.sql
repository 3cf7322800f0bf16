-- Undoes 0021: drops the Jira staging tables. Staged rows are not restored; the next Jira sync after
-- re-running 0021 stages them again.
DROP TABLE IF EXISTS staging_jira_worklogs;

DROP TABLE IF EXISTS staging_jira_issues;

DROP TABLE IF EXISTS staging_jira_projects;

DROP TABLE IF EXISTS staging_jira_users;
