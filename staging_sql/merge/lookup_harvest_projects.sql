-- Harvest project id -> the project row's id, client and service line, for merge_time_entries_harvest.sql
-- (see lookup_harvest_people.sql for why).
DROP TEMPORARY TABLE IF EXISTS merge_harvest_projects;
CREATE TEMPORARY TABLE merge_harvest_projects (
  project_id BIGINT NOT NULL PRIMARY KEY,
  id BIGINT UNSIGNED NOT NULL,
  client_id BIGINT UNSIGNED NULL,
  service_line_id BIGINT UNSIGNED NULL
) ENGINE=MEMORY
SELECT CAST(jl.source_id AS SIGNED) AS project_id, p.id, p.client_id, p.service_line_id
FROM source_links jl
JOIN projects p ON p.id = jl.entity_id
WHERE jl.company_id = %(company_id)s AND jl.entity_type = 'project' AND jl.`system` = 'harvest'
  AND jl.source_type = 'project' AND jl.source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$';
