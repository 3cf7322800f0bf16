-- Every person-like record of one company (params: company_id × 5): who may be the same human.
SELECT 'harvest' AS `system`, 'user' AS source_type, CAST(u.id AS CHAR) AS source_id,
       CONCAT_WS(' ', u.first_name, u.last_name) AS name, u.email, NULL AS pointer_id,
       u.source_updated_at
FROM staging_harvest_users u WHERE u.company_id = %s
UNION ALL
SELECT 'forecast', 'person', CAST(p.id AS CHAR), CONCAT_WS(' ', p.first_name, p.last_name), p.email,
       CAST(p.harvest_user_id AS CHAR), p.source_updated_at
FROM staging_forecast_people p WHERE p.company_id = %s
UNION ALL
SELECT 'jira', 'user', j.account_id, j.display_name, j.email, NULL, j.source_updated_at
FROM staging_jira_users j
WHERE j.company_id = %s AND (j.account_type IS NULL OR j.account_type = 'atlassian')
UNION ALL
SELECT 'qbo', 'employee', e.qbo_id, e.display_name, e.email, NULL, e.source_updated_at
FROM staging_qbo_employees e WHERE e.company_id = %s
UNION ALL
SELECT 'qbo', 'vendor', v.qbo_id, v.display_name, v.email, NULL, v.source_updated_at
FROM staging_qbo_vendors v WHERE v.company_id = %s
