-- Projects from their linked records: name, code, rates and budget owned by Harvest (then Forecast,
-- QBO, Jira); the client is the Harvest client's entity, else the QBO parent customer's.
-- 
INSERT INTO projects (id, company_id, client_id, name, code, is_active, is_billable, is_fixed_fee, bill_by,
                      hourly_rate, budget_by, budget_hours, budget_amount, fee, starts_on, ends_on,
                      harvest_project_id, forecast_project_id, qbo_customer_id, jira_project_id, jira_project_key,
                      source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.id, s.company_id, s.client_id, s.name, s.code, s.is_active, s.is_billable, s.is_fixed_fee, s.bill_by,
       s.hourly_rate, s.budget_by, s.budget_hours, s.budget_amount, s.fee, s.starts_on, s.ends_on,
       s.harvest_project_id, s.forecast_project_id, s.qbo_customer_id, s.jira_project_id, s.jira_project_key,
       s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', IFNULL(v.client_id, '~'), v.name, IFNULL(v.code, '~'), v.is_active,
         IFNULL(v.is_billable, '~'), IFNULL(v.is_fixed_fee, '~'), IFNULL(v.bill_by, '~'),
         IFNULL(v.hourly_rate, '~'), IFNULL(v.budget_by, '~'), IFNULL(v.budget_hours, '~'),
         IFNULL(v.budget_amount, '~'), IFNULL(v.fee, '~'), IFNULL(v.starts_on, '~'), IFNULL(v.ends_on, '~'),
         IFNULL(v.harvest_project_id, '~'), IFNULL(v.forecast_project_id, '~'), IFNULL(v.qbo_customer_id, '~'),
         IFNULL(v.jira_project_id, '~'), IFNULL(v.jira_project_key, '~'), IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT e.entity_id AS id, e.company_id,
           COALESCE(hc.entity_id, qc.entity_id) AS client_id,
           COALESCE(h.name, f.name, q.display_name, j.name, '') AS name,
           COALESCE(h.code, f.code, j.project_key) AS code,
           COALESCE(h.is_active, NOT f.archived, q.active, NOT j.archived, 1) AS is_active,
           h.is_billable, h.is_fixed_fee, h.bill_by,
           CAST(h.hourly_rate AS DECIMAL(12,2)) AS hourly_rate,
           COALESCE(h.budget_by, f.budget_by) AS budget_by,
           CAST(h.budget AS DECIMAL(12,2)) AS budget_hours,
           CAST(h.cost_budget AS DECIMAL(14,2)) AS budget_amount,
           CAST(h.fee AS DECIMAL(14,2)) AS fee,
           COALESCE(h.starts_on, f.start_date) AS starts_on, COALESCE(h.ends_on, f.end_date) AS ends_on,
           h.id AS harvest_project_id, f.id AS forecast_project_id, q.qbo_id AS qbo_customer_id,
           j.project_id AS jira_project_id, j.project_key AS jira_project_key,
           NULLIF(GREATEST(COALESCE(h.source_updated_at, '1970-01-01'), COALESCE(f.source_updated_at, '1970-01-01'),
                           COALESCE(q.source_updated_at, '1970-01-01'), COALESCE(j.source_updated_at, '1970-01-01')),
                  '1970-01-01') AS source_updated_at,
           IF((h.id IS NOT NULL AND h.deleted_at IS NULL) OR (f.id IS NOT NULL AND f.deleted_at IS NULL)
              OR (q.qbo_id IS NOT NULL AND q.deleted_at IS NULL) OR (j.project_id IS NOT NULL AND j.deleted_at IS NULL),
              NULL, GREATEST(COALESCE(h.deleted_at, '1970-01-01'), COALESCE(f.deleted_at, '1970-01-01'),
                             COALESCE(q.deleted_at, '1970-01-01'), COALESCE(j.deleted_at, '1970-01-01'))) AS deleted_at
    FROM (SELECT DISTINCT company_id, entity_id FROM source_links
          WHERE company_id = %(company_id)s AND entity_type = 'project' AND deleted_at IS NULL) e
    LEFT JOIN source_links hl ON hl.company_id = e.company_id AND hl.entity_type = 'project'
         AND hl.entity_id = e.entity_id AND hl.`system` = 'harvest' AND hl.is_primary = 1 AND hl.deleted_at IS NULL
    LEFT JOIN staging_harvest_projects h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
    LEFT JOIN source_links hc ON hc.company_id = h.company_id AND hc.entity_type = 'client'
         AND hc.`system` = 'harvest' AND hc.source_type = 'client' AND hc.source_id = CAST(h.client_id AS CHAR)
         AND hc.deleted_at IS NULL
    LEFT JOIN source_links fl ON fl.company_id = e.company_id AND fl.entity_type = 'project'
         AND fl.entity_id = e.entity_id AND fl.`system` = 'forecast' AND fl.is_primary = 1 AND fl.deleted_at IS NULL
    LEFT JOIN staging_forecast_projects f ON f.company_id = fl.company_id AND f.id = CAST(fl.source_id AS SIGNED)
    LEFT JOIN source_links ql ON ql.company_id = e.company_id AND ql.entity_type = 'project'
         AND ql.entity_id = e.entity_id AND ql.`system` = 'qbo' AND ql.is_primary = 1 AND ql.deleted_at IS NULL
    LEFT JOIN staging_qbo_customers q ON q.company_id = ql.company_id AND q.qbo_id = ql.source_id
    LEFT JOIN source_links qc ON qc.company_id = q.company_id AND qc.entity_type = 'client'
         AND qc.`system` = 'qbo' AND qc.source_type = 'customer' AND qc.source_id = q.parent_id
         AND qc.deleted_at IS NULL
    LEFT JOIN source_links jl ON jl.company_id = e.company_id AND jl.entity_type = 'project'
         AND jl.entity_id = e.entity_id AND jl.`system` = 'jira' AND jl.is_primary = 1 AND jl.deleted_at IS NULL
    LEFT JOIN staging_jira_projects j ON j.company_id = jl.company_id AND j.project_id = jl.source_id
  ) v
) s
LEFT JOIN projects t ON t.id = s.id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  projects.updated_at = IF(projects.row_hash <=> s.row_hash, projects.updated_at, %(now)s),
  projects.client_id = s.client_id,
  projects.name = s.name,
  projects.code = s.code,
  projects.is_active = s.is_active,
  projects.is_billable = s.is_billable,
  projects.is_fixed_fee = s.is_fixed_fee,
  projects.bill_by = s.bill_by,
  projects.hourly_rate = s.hourly_rate,
  projects.budget_by = s.budget_by,
  projects.budget_hours = s.budget_hours,
  projects.budget_amount = s.budget_amount,
  projects.fee = s.fee,
  projects.starts_on = s.starts_on,
  projects.ends_on = s.ends_on,
  projects.harvest_project_id = s.harvest_project_id,
  projects.forecast_project_id = s.forecast_project_id,
  projects.qbo_customer_id = s.qbo_customer_id,
  projects.jira_project_id = s.jira_project_id,
  projects.jira_project_key = s.jira_project_key,
  projects.source_updated_at = s.source_updated_at,
  projects.deleted_at = s.deleted_at,
  projects.row_hash = s.row_hash
