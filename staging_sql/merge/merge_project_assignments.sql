-- Forecast assignments (plans): project and person through the crosswalk; placeholders keep their id.
-- An assignment without allocation on a project Forecast alone knows (such as "Time Off") is time off.
-- As merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never by an older
-- staged version), then new assignments inserted; the first update reads the assignments staged since (full:
-- all), the second merge_forecast_scope (scope_project_assignments.sql: assignments whose project or person link,
-- or project row, changed in this run; empty when full). One level, so the hash is spelled out in each place.
UPDATE staging_forecast_assignments a
JOIN project_assignments t ON t.company_id = a.company_id AND t.forecast_assignment_id = a.id
LEFT JOIN source_links pl ON pl.company_id = a.company_id AND pl.entity_type = 'project'
     AND pl.`system` = 'forecast' AND pl.source_type = 'project' AND pl.source_id = CAST(a.project_id AS CHAR)
LEFT JOIN projects p ON p.id = pl.entity_id
LEFT JOIN source_links ml ON ml.company_id = a.company_id AND ml.entity_type = 'person'
     AND ml.`system` = 'forecast' AND ml.source_type = 'person' AND ml.source_id = CAST(a.person_id AS CHAR)
SET t.project_id = p.id,
    t.team_member_id = ml.entity_id,
    t.forecast_project_id = a.project_id,
    t.forecast_placeholder_id = a.placeholder_id,
    t.starts_on = a.start_date,
    t.ends_on = a.end_date,
    t.allocation_seconds_per_day = a.allocation,
    t.is_time_off = (a.allocation IS NULL AND p.harvest_project_id IS NULL),
    t.notes = a.notes,
    t.source_updated_at = a.source_updated_at,
    t.deleted_at = a.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(p.id, '~'), IFNULL(ml.entity_id, '~'),
                 (a.allocation IS NULL AND p.harvest_project_id IS NULL), IFNULL(a.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(p.id, '~'), IFNULL(ml.entity_id, '~'),
                 (a.allocation IS NULL AND p.harvest_project_id IS NULL), IFNULL(a.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR a.source_updated_at IS NULL OR a.source_updated_at >= t.source_updated_at);

UPDATE merge_forecast_scope s
JOIN staging_forecast_assignments a ON a.company_id = %(company_id)s AND a.id = s.id
JOIN project_assignments t ON t.company_id = a.company_id AND t.forecast_assignment_id = a.id
LEFT JOIN source_links pl ON pl.company_id = a.company_id AND pl.entity_type = 'project'
     AND pl.`system` = 'forecast' AND pl.source_type = 'project' AND pl.source_id = CAST(a.project_id AS CHAR)
LEFT JOIN projects p ON p.id = pl.entity_id
LEFT JOIN source_links ml ON ml.company_id = a.company_id AND ml.entity_type = 'person'
     AND ml.`system` = 'forecast' AND ml.source_type = 'person' AND ml.source_id = CAST(a.person_id AS CHAR)
SET t.project_id = p.id,
    t.team_member_id = ml.entity_id,
    t.forecast_project_id = a.project_id,
    t.forecast_placeholder_id = a.placeholder_id,
    t.starts_on = a.start_date,
    t.ends_on = a.end_date,
    t.allocation_seconds_per_day = a.allocation,
    t.is_time_off = (a.allocation IS NULL AND p.harvest_project_id IS NULL),
    t.notes = a.notes,
    t.source_updated_at = a.source_updated_at,
    t.deleted_at = a.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(p.id, '~'), IFNULL(ml.entity_id, '~'),
                 (a.allocation IS NULL AND p.harvest_project_id IS NULL), IFNULL(a.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(p.id, '~'), IFNULL(ml.entity_id, '~'),
                 (a.allocation IS NULL AND p.harvest_project_id IS NULL), IFNULL(a.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR a.source_updated_at IS NULL OR a.source_updated_at >= t.source_updated_at);

INSERT INTO project_assignments (company_id, forecast_assignment_id, project_id, team_member_id, forecast_project_id,
                                 forecast_placeholder_id, starts_on, ends_on, allocation_seconds_per_day,
                                 is_time_off, notes, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT a.company_id, a.id, p.id, ml.entity_id, a.project_id, a.placeholder_id, a.start_date, a.end_date,
       a.allocation, (a.allocation IS NULL AND p.harvest_project_id IS NULL), a.notes, a.source_updated_at,
       a.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(a.row_hash), IFNULL(p.id, '~'), IFNULL(ml.entity_id, '~'),
                 (a.allocation IS NULL AND p.harvest_project_id IS NULL), IFNULL(a.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_forecast_assignments a
LEFT JOIN source_links pl ON pl.company_id = a.company_id AND pl.entity_type = 'project'
     AND pl.`system` = 'forecast' AND pl.source_type = 'project' AND pl.source_id = CAST(a.project_id AS CHAR)
LEFT JOIN projects p ON p.id = pl.entity_id
LEFT JOIN source_links ml ON ml.company_id = a.company_id AND ml.entity_type = 'person'
     AND ml.`system` = 'forecast' AND ml.source_type = 'person' AND ml.source_id = CAST(a.person_id AS CHAR)
LEFT JOIN project_assignments t ON t.company_id = a.company_id AND t.forecast_assignment_id = a.id
WHERE a.company_id = %(company_id)s AND (%(full)s = 1 OR a.sync_log_id >= %(since)s) AND t.id IS NULL
