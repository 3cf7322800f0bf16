SELECT co.company_key AS company, h.project_name AS project, h.client_name AS client,
       ROUND(h.hours, 1) AS hours, ROUND(h.billable_hours, 1) AS billable,
       ROUND(h.harvest_hours, 1) AS harvest, ROUND(h.jira_only_hours, 1) AS jira_only, ROUND(h.qbo_hours, 1) AS qbo
FROM v_project_hours_monthly h
JOIN companies co ON co.id = h.company_id
WHERE h.month = DATE_FORMAT(UTC_DATE(), '%Y-%m') AND h.project_id IS NOT NULL
ORDER BY h.hours DESC
LIMIT 8
