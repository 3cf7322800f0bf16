-- People from their linked records: name and rates owned by Harvest, capacity by Forecast, then QBO and
-- Jira as fallbacks; email is the normalized (trimmed, lower-cased) address. 
INSERT INTO team_members (id, company_id, display_name, first_name, last_name, email, is_contractor, is_active,
                          weekly_capacity_seconds, default_hourly_rate, cost_rate, harvest_user_id,
                          forecast_person_id, jira_account_id, qbo_employee_id, qbo_vendor_id,
                          source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.id, s.company_id, s.display_name, s.first_name, s.last_name, s.email, s.is_contractor, s.is_active,
       s.weekly_capacity_seconds, s.default_hourly_rate, s.cost_rate, s.harvest_user_id, s.forecast_person_id,
       s.jira_account_id, s.qbo_employee_id, s.qbo_vendor_id, s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.display_name, IFNULL(v.first_name, '~'), IFNULL(v.last_name, '~'),
         IFNULL(v.email, '~'), IFNULL(v.is_contractor, '~'), v.is_active, IFNULL(v.weekly_capacity_seconds, '~'),
         IFNULL(v.default_hourly_rate, '~'), IFNULL(v.cost_rate, '~'), IFNULL(v.harvest_user_id, '~'),
         IFNULL(v.forecast_person_id, '~'), IFNULL(v.jira_account_id, '~'), IFNULL(v.qbo_employee_id, '~'),
         IFNULL(v.qbo_vendor_id, '~'), IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT e.entity_id AS id, e.company_id,
           COALESCE(NULLIF(TRIM(CONCAT_WS(' ', h.first_name, h.last_name)), ''),
                    NULLIF(TRIM(CONCAT_WS(' ', f.first_name, f.last_name)), ''),
                    qe.display_name, qv.display_name, j.display_name, '') AS display_name,
           COALESCE(h.first_name, f.first_name, qe.given_name, qv.given_name) AS first_name,
           COALESCE(h.last_name, f.last_name, qe.family_name, qv.family_name) AS last_name,
           LOWER(TRIM(COALESCE(h.email, f.email, qe.email, qv.email, j.email))) AS email,
           COALESCE(h.is_contractor, IF(qv.qbo_id IS NOT NULL AND qe.qbo_id IS NULL, 1, NULL)) AS is_contractor,
           COALESCE(h.is_active, NOT f.archived, qe.active, qv.active, j.active, 1) AS is_active,
           COALESCE(f.weekly_capacity, h.weekly_capacity) AS weekly_capacity_seconds,
           CAST(COALESCE(h.default_hourly_rate, qe.bill_rate, qv.bill_rate) AS DECIMAL(12,2)) AS default_hourly_rate,
           CAST(COALESCE(h.cost_rate, qe.cost_rate, qv.cost_rate) AS DECIMAL(12,2)) AS cost_rate,
           h.id AS harvest_user_id, f.id AS forecast_person_id, j.account_id AS jira_account_id,
           qe.qbo_id AS qbo_employee_id, qv.qbo_id AS qbo_vendor_id,
           NULLIF(GREATEST(COALESCE(h.source_updated_at, '1970-01-01'), COALESCE(f.source_updated_at, '1970-01-01'),
                           COALESCE(qe.source_updated_at, '1970-01-01'), COALESCE(qv.source_updated_at, '1970-01-01'),
                           COALESCE(j.source_updated_at, '1970-01-01')), '1970-01-01') AS source_updated_at,
           IF((h.id IS NOT NULL AND h.deleted_at IS NULL) OR (f.id IS NOT NULL AND f.deleted_at IS NULL)
              OR (qe.qbo_id IS NOT NULL AND qe.deleted_at IS NULL) OR (qv.qbo_id IS NOT NULL AND qv.deleted_at IS NULL)
              OR (j.account_id IS NOT NULL AND j.deleted_at IS NULL), NULL,
              GREATEST(COALESCE(h.deleted_at, '1970-01-01'), COALESCE(f.deleted_at, '1970-01-01'),
                       COALESCE(qe.deleted_at, '1970-01-01'), COALESCE(qv.deleted_at, '1970-01-01'),
                       COALESCE(j.deleted_at, '1970-01-01'))) AS deleted_at
    FROM (SELECT DISTINCT company_id, entity_id FROM source_links
          WHERE company_id = %(company_id)s AND entity_type = 'person' AND deleted_at IS NULL) e
    LEFT JOIN source_links hl ON hl.company_id = e.company_id AND hl.entity_type = 'person'
         AND hl.entity_id = e.entity_id AND hl.`system` = 'harvest' AND hl.is_primary = 1 AND hl.deleted_at IS NULL
    LEFT JOIN staging_harvest_users h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
    LEFT JOIN source_links fl ON fl.company_id = e.company_id AND fl.entity_type = 'person'
         AND fl.entity_id = e.entity_id AND fl.`system` = 'forecast' AND fl.is_primary = 1 AND fl.deleted_at IS NULL
    LEFT JOIN staging_forecast_people f ON f.company_id = fl.company_id AND f.id = CAST(fl.source_id AS SIGNED)
    LEFT JOIN source_links jl ON jl.company_id = e.company_id AND jl.entity_type = 'person'
         AND jl.entity_id = e.entity_id AND jl.`system` = 'jira' AND jl.is_primary = 1 AND jl.deleted_at IS NULL
    LEFT JOIN staging_jira_users j ON j.company_id = jl.company_id AND j.account_id = jl.source_id
    LEFT JOIN (SELECT company_id, entity_id, MIN(source_id) AS source_id FROM source_links
               WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'qbo' AND source_type = 'employee'
                 AND deleted_at IS NULL GROUP BY company_id, entity_id) qel
         ON qel.company_id = e.company_id AND qel.entity_id = e.entity_id
    LEFT JOIN staging_qbo_employees qe ON qe.company_id = qel.company_id AND qe.qbo_id = qel.source_id
    LEFT JOIN (SELECT company_id, entity_id, MIN(source_id) AS source_id FROM source_links
               WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'qbo' AND source_type = 'vendor'
                 AND deleted_at IS NULL GROUP BY company_id, entity_id) qvl
         ON qvl.company_id = e.company_id AND qvl.entity_id = e.entity_id
    LEFT JOIN staging_qbo_vendors qv ON qv.company_id = qvl.company_id AND qv.qbo_id = qvl.source_id
  ) v
) s
LEFT JOIN team_members t ON t.id = s.id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  team_members.updated_at = IF(team_members.row_hash <=> s.row_hash, team_members.updated_at, %(now)s),
  team_members.display_name = s.display_name,
  team_members.first_name = s.first_name,
  team_members.last_name = s.last_name,
  team_members.email = s.email,
  team_members.is_contractor = s.is_contractor,
  team_members.is_active = s.is_active,
  team_members.weekly_capacity_seconds = s.weekly_capacity_seconds,
  team_members.default_hourly_rate = s.default_hourly_rate,
  team_members.cost_rate = s.cost_rate,
  team_members.harvest_user_id = s.harvest_user_id,
  team_members.forecast_person_id = s.forecast_person_id,
  team_members.jira_account_id = s.jira_account_id,
  team_members.qbo_employee_id = s.qbo_employee_id,
  team_members.qbo_vendor_id = s.qbo_vendor_id,
  team_members.source_updated_at = s.source_updated_at,
  team_members.deleted_at = s.deleted_at,
  team_members.row_hash = s.row_hash
