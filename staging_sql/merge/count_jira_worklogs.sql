-- The worklogs merge_time_entries_jira.sql considers: incremental, those of issues with a worklog staged since.
SELECT COUNT(*) FROM staging_jira_worklogs w
WHERE w.company_id = %(company_id)s
  AND (%(full)s = 1 OR w.sync_log_id >= %(since)s
       OR w.issue_id IN (SELECT c.issue_id FROM staging_jira_worklogs c
                         WHERE c.company_id = %(company_id)s AND c.sync_log_id >= %(since)s))
