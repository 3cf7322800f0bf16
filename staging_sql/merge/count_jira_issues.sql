SELECT COUNT(*) FROM staging_jira_issues WHERE company_id = %(company_id)s
