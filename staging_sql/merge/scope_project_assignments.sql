-- Incremental (full = 0): the staged Forecast assignments not staged since the watermark whose project's link or
-- project row, or whose person's link, changed in this run, in merge_forecast_scope for the second statement of
-- merge_project_assignments.sql. An empty changed set reads nothing, else one pass over the staged assignments.
DROP TEMPORARY TABLE IF EXISTS merge_forecast_scope;

CREATE TEMPORARY TABLE merge_forecast_scope (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_forecast_changed_projects;

CREATE TEMPORARY TABLE merge_forecast_changed_projects (project_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_forecast_changed_projects (project_id)
SELECT CAST(l.source_id AS SIGNED) FROM source_links l
LEFT JOIN projects p ON p.id = l.entity_id AND p.updated_at = %(now)s
WHERE l.company_id = %(company_id)s AND %(full)s = 0 AND l.entity_type = 'project' AND l.`system` = 'forecast'
  AND l.source_type = 'project' AND l.source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$'
  AND (l.updated_at = %(now)s OR p.id IS NOT NULL);

INSERT IGNORE INTO merge_forecast_scope (id)
SELECT a.id FROM staging_forecast_assignments a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.project_id IN (SELECT project_id FROM merge_forecast_changed_projects);

DROP TEMPORARY TABLE IF EXISTS merge_forecast_changed_people;

CREATE TEMPORARY TABLE merge_forecast_changed_people (person_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_forecast_changed_people (person_id)
SELECT CAST(source_id AS SIGNED) FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'forecast'
  AND source_type = 'person' AND updated_at = %(now)s AND source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$';

INSERT IGNORE INTO merge_forecast_scope (id)
SELECT a.id FROM staging_forecast_assignments a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.person_id IN (SELECT person_id FROM merge_forecast_changed_people)
