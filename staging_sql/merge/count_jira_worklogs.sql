SELECT COUNT(*) FROM staging_jira_worklogs WHERE company_id = %(company_id)s
