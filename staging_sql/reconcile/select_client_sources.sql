-- Every client-like record of one company (params: company_id × 3). QBO top-level customers only:
-- jobs (sub-customers) are projects.
SELECT 'harvest' AS `system`, 'client' AS source_type, CAST(c.id AS CHAR) AS source_id, c.name,
       NULL AS code, NULL AS pointer_id, c.source_updated_at
FROM staging_harvest_clients c WHERE c.company_id = %s
UNION ALL
SELECT 'forecast', 'client', CAST(f.id AS CHAR), f.name, NULL, CAST(f.harvest_id AS CHAR), f.source_updated_at
FROM staging_forecast_clients f WHERE f.company_id = %s
UNION ALL
SELECT 'qbo', 'customer', q.qbo_id, COALESCE(q.display_name, q.company_name), NULL, NULL, q.source_updated_at
FROM staging_qbo_customers q
WHERE q.company_id = %s AND q.parent_id IS NULL AND COALESCE(q.is_job, 0) = 0
