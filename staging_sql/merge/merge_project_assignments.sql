-- Forecast assignments (plans): project and person through the crosswalk; placeholders keep their id.
-- An assignment without allocation on a project Forecast alone knows (such as "Time Off") is time off.
INSERT INTO project_assignments (company_id, forecast_assignment_id, project_id, team_member_id, forecast_project_id,
                                 forecast_placeholder_id, starts_on, ends_on, allocation_seconds_per_day,
                                 is_time_off, notes, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.company_id, s.forecast_assignment_id, s.project_id, s.team_member_id, s.forecast_project_id,
       s.forecast_placeholder_id, s.starts_on, s.ends_on, s.allocation_seconds_per_day, s.is_time_off, s.notes,
       s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.row_hash_staged, IFNULL(v.project_id, '~'), IFNULL(v.team_member_id, '~'),
         v.is_time_off, IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT a.company_id, a.id AS forecast_assignment_id, p.id AS project_id, ml.entity_id AS team_member_id,
           a.project_id AS forecast_project_id, a.placeholder_id AS forecast_placeholder_id,
           a.start_date AS starts_on, a.end_date AS ends_on, a.allocation AS allocation_seconds_per_day,
           (a.allocation IS NULL AND (p.harvest_project_id IS NULL)) AS is_time_off, a.notes,
           a.source_updated_at, a.deleted_at, HEX(a.row_hash) AS row_hash_staged
    FROM staging_forecast_assignments a
    LEFT JOIN source_links pl ON pl.company_id = a.company_id AND pl.entity_type = 'project'
         AND pl.`system` = 'forecast' AND pl.source_type = 'project' AND pl.source_id = CAST(a.project_id AS CHAR)
    LEFT JOIN projects p ON p.id = pl.entity_id
    LEFT JOIN source_links ml ON ml.company_id = a.company_id AND ml.entity_type = 'person'
         AND ml.`system` = 'forecast' AND ml.source_type = 'person' AND ml.source_id = CAST(a.person_id AS CHAR)
    WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s)
  ) v
) s
LEFT JOIN project_assignments t ON t.company_id = s.company_id AND t.forecast_assignment_id = s.forecast_assignment_id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  project_assignments.updated_at = IF(project_assignments.row_hash <=> s.row_hash, project_assignments.updated_at,
                                      %(now)s),
  project_assignments.project_id = s.project_id,
  project_assignments.team_member_id = s.team_member_id,
  project_assignments.forecast_project_id = s.forecast_project_id,
  project_assignments.forecast_placeholder_id = s.forecast_placeholder_id,
  project_assignments.starts_on = s.starts_on,
  project_assignments.ends_on = s.ends_on,
  project_assignments.allocation_seconds_per_day = s.allocation_seconds_per_day,
  project_assignments.is_time_off = s.is_time_off,
  project_assignments.notes = s.notes,
  project_assignments.source_updated_at = s.source_updated_at,
  project_assignments.deleted_at = s.deleted_at,
  project_assignments.row_hash = s.row_hash
