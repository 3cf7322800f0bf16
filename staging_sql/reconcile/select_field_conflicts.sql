-- Values that differ from the owning system's, per linked record: name and rates from Harvest,
-- capacity from Forecast. Compared trimmed and case-insensitively (the collation), amounts as numbers.
SELECT 'person' AS entity_type, hl.entity_id, 'name' AS field_name, fl.`system`, fl.source_type, fl.source_id,
       'harvest' AS owning_system, TRIM(CONCAT_WS(' ', h.first_name, h.last_name)) AS owning_value,
       TRIM(CONCAT_WS(' ', f.first_name, f.last_name)) AS other_value
FROM source_links hl
JOIN staging_harvest_users h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
JOIN source_links fl ON fl.company_id = hl.company_id AND fl.entity_type = 'person' AND fl.entity_id = hl.entity_id
     AND fl.`system` = 'forecast' AND fl.deleted_at IS NULL
JOIN staging_forecast_people f ON f.company_id = fl.company_id AND f.id = CAST(fl.source_id AS SIGNED)
WHERE hl.company_id = %(company_id)s AND hl.entity_type = 'person' AND hl.`system` = 'harvest' AND hl.is_primary = 1
  AND hl.deleted_at IS NULL
  AND TRIM(CONCAT_WS(' ', h.first_name, h.last_name)) <> TRIM(CONCAT_WS(' ', f.first_name, f.last_name))
UNION ALL
SELECT 'person', fl.entity_id, 'weekly_capacity_seconds', hl.`system`, hl.source_type, hl.source_id,
       'forecast', CAST(f.weekly_capacity AS CHAR), CAST(h.weekly_capacity AS CHAR)
FROM source_links fl
JOIN staging_forecast_people f ON f.company_id = fl.company_id AND f.id = CAST(fl.source_id AS SIGNED)
JOIN source_links hl ON hl.company_id = fl.company_id AND hl.entity_type = 'person' AND hl.entity_id = fl.entity_id
     AND hl.`system` = 'harvest' AND hl.deleted_at IS NULL
JOIN staging_harvest_users h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
WHERE fl.company_id = %(company_id)s AND fl.entity_type = 'person' AND fl.`system` = 'forecast' AND fl.is_primary = 1
  AND fl.deleted_at IS NULL AND f.weekly_capacity <> h.weekly_capacity
UNION ALL
SELECT 'person', hl.entity_id, 'default_hourly_rate', ql.`system`, ql.source_type, ql.source_id,
       'harvest', CAST(h.default_hourly_rate AS CHAR), CAST(COALESCE(qe.bill_rate, qv.bill_rate) AS CHAR)
FROM source_links hl
JOIN staging_harvest_users h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
JOIN source_links ql ON ql.company_id = hl.company_id AND ql.entity_type = 'person' AND ql.entity_id = hl.entity_id
     AND ql.`system` = 'qbo' AND ql.deleted_at IS NULL
LEFT JOIN staging_qbo_employees qe ON ql.source_type = 'employee' AND qe.company_id = ql.company_id
     AND qe.qbo_id = ql.source_id
LEFT JOIN staging_qbo_vendors qv ON ql.source_type = 'vendor' AND qv.company_id = ql.company_id
     AND qv.qbo_id = ql.source_id
WHERE hl.company_id = %(company_id)s AND hl.entity_type = 'person' AND hl.`system` = 'harvest' AND hl.is_primary = 1
  AND hl.deleted_at IS NULL AND COALESCE(qe.bill_rate, qv.bill_rate) IS NOT NULL
  AND h.default_hourly_rate IS NOT NULL AND COALESCE(qe.bill_rate, qv.bill_rate) <> h.default_hourly_rate
UNION ALL
SELECT 'client', hl.entity_id, 'name', ol.`system`, ol.source_type, ol.source_id, 'harvest', h.name,
       COALESCE(f.name, q.display_name)
FROM source_links hl
JOIN staging_harvest_clients h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
JOIN source_links ol ON ol.company_id = hl.company_id AND ol.entity_type = 'client' AND ol.entity_id = hl.entity_id
     AND ol.`system` IN ('forecast', 'qbo') AND ol.deleted_at IS NULL
LEFT JOIN staging_forecast_clients f ON ol.`system` = 'forecast' AND f.company_id = ol.company_id
     AND f.id = CAST(ol.source_id AS SIGNED)
LEFT JOIN staging_qbo_customers q ON ol.`system` = 'qbo' AND q.company_id = ol.company_id AND q.qbo_id = ol.source_id
WHERE hl.company_id = %(company_id)s AND hl.entity_type = 'client' AND hl.`system` = 'harvest' AND hl.is_primary = 1
  AND hl.deleted_at IS NULL AND TRIM(h.name) <> TRIM(COALESCE(f.name, q.display_name))
UNION ALL
SELECT 'project', hl.entity_id, 'name', ol.`system`, ol.source_type, ol.source_id, 'harvest', h.name,
       COALESCE(f.name, j.name)
FROM source_links hl
JOIN staging_harvest_projects h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
JOIN source_links ol ON ol.company_id = hl.company_id AND ol.entity_type = 'project' AND ol.entity_id = hl.entity_id
     AND ol.`system` IN ('forecast', 'jira') AND ol.deleted_at IS NULL
LEFT JOIN staging_forecast_projects f ON ol.`system` = 'forecast' AND f.company_id = ol.company_id
     AND f.id = CAST(ol.source_id AS SIGNED)
LEFT JOIN staging_jira_projects j ON ol.`system` = 'jira' AND j.company_id = ol.company_id
     AND j.project_id = ol.source_id
WHERE hl.company_id = %(company_id)s AND hl.entity_type = 'project' AND hl.`system` = 'harvest'
  AND hl.is_primary = 1 AND hl.deleted_at IS NULL AND TRIM(h.name) <> TRIM(COALESCE(f.name, j.name))
