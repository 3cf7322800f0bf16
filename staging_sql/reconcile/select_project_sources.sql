-- Every project-like record of one company (params: company_id × 4). pointer_id: Forecast's
-- harvest_id; parent_id: the QBO job's parent customer, or the Harvest project's client.
SELECT 'harvest' AS `system`, 'project' AS source_type, CAST(p.id AS CHAR) AS source_id, p.name, p.code,
       NULL AS pointer_id, CAST(p.client_id AS CHAR) AS parent_id, p.source_updated_at
FROM staging_harvest_projects p WHERE p.company_id = %s
UNION ALL
SELECT 'forecast', 'project', CAST(f.id AS CHAR), f.name, f.code, CAST(f.harvest_id AS CHAR), NULL,
       f.source_updated_at
FROM staging_forecast_projects f WHERE f.company_id = %s
UNION ALL
SELECT 'qbo', 'job', q.qbo_id, q.display_name, NULL, NULL, q.parent_id, q.source_updated_at
FROM staging_qbo_customers q
WHERE q.company_id = %s AND (q.parent_id IS NOT NULL OR q.is_job = 1)
UNION ALL
SELECT 'jira', 'project', j.project_id, j.name, j.project_key, NULL, NULL, j.source_updated_at
FROM staging_jira_projects j WHERE j.company_id = %s
