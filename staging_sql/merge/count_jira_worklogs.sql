-- The worklogs merge_time_entries_jira.sql considers: every worklog of its scope's issues (full: every issue).
SELECT COUNT(*) FROM merge_jira_scope s
JOIN staging_jira_worklogs w ON w.company_id = %(company_id)s AND w.issue_id = s.issue_id
