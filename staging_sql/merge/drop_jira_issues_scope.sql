DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_scope;
DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_changed_projects;
DROP TEMPORARY TABLE IF EXISTS merge_jira_issues_changed_people;
