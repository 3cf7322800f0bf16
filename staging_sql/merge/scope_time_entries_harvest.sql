-- Incremental (full = 0): the staged entries not staged since the watermark that a change in this run can
-- still have changed, in merge_harvest_scope for the second statement of merge_time_entries_harvest.sql:
-- those of a user whose person link changed, of a project whose link or project row changed, of a task staged
-- since or named as a service line that changed, and those stored with a service line that changed. Each
-- changed set is a MEMORY table: empty (the usual case), its semi-join is impossible and reads nothing; else
-- one pass over the company's staged entries. Full, everything stays empty.
DROP TEMPORARY TABLE IF EXISTS merge_harvest_scope;

CREATE TEMPORARY TABLE merge_harvest_scope (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_users;

CREATE TEMPORARY TABLE merge_harvest_changed_users (user_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_harvest_changed_users (user_id)
SELECT CAST(source_id AS SIGNED) FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'harvest'
  AND source_type = 'user' AND updated_at = %(now)s AND source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$';

INSERT IGNORE INTO merge_harvest_scope (id)
SELECT he.id FROM staging_harvest_time_entries he
WHERE he.company_id = %(company_id)s AND he.sync_log_id < %(since)s
  AND he.user_id IN (SELECT user_id FROM merge_harvest_changed_users);

DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_projects;

CREATE TEMPORARY TABLE merge_harvest_changed_projects (project_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_harvest_changed_projects (project_id)
SELECT CAST(l.source_id AS SIGNED) FROM source_links l
LEFT JOIN projects p ON p.id = l.entity_id AND p.updated_at = %(now)s
WHERE l.company_id = %(company_id)s AND %(full)s = 0 AND l.entity_type = 'project' AND l.`system` = 'harvest'
  AND l.source_type = 'project' AND l.source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$'
  AND (l.updated_at = %(now)s OR p.id IS NOT NULL);

INSERT IGNORE INTO merge_harvest_scope (id)
SELECT he.id FROM staging_harvest_time_entries he
WHERE he.company_id = %(company_id)s AND he.sync_log_id < %(since)s
  AND he.project_id IN (SELECT project_id FROM merge_harvest_changed_projects);

DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_tasks;

CREATE TEMPORARY TABLE merge_harvest_changed_tasks (task_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_harvest_changed_tasks (task_id)
SELECT id FROM staging_harvest_tasks
WHERE company_id = %(company_id)s AND %(full)s = 0 AND sync_log_id >= %(since)s;

INSERT IGNORE INTO merge_harvest_changed_tasks (task_id)
SELECT tk.id FROM service_lines sl
JOIN staging_harvest_tasks tk ON tk.company_id = sl.company_id AND tk.name = sl.name
WHERE sl.company_id = %(company_id)s AND %(full)s = 0 AND sl.updated_at = %(now)s;

INSERT IGNORE INTO merge_harvest_scope (id)
SELECT he.id FROM staging_harvest_time_entries he
WHERE he.company_id = %(company_id)s AND he.sync_log_id < %(since)s
  AND he.task_id IN (SELECT task_id FROM merge_harvest_changed_tasks);

INSERT IGNORE INTO merge_harvest_scope (id)
SELECT he.id FROM service_lines sl
JOIN time_entries t ON t.company_id = sl.company_id AND t.service_line_id = sl.id
JOIN staging_harvest_time_entries he ON he.company_id = t.company_id AND he.id = CAST(t.source_id AS SIGNED)
WHERE sl.company_id = %(company_id)s AND %(full)s = 0 AND sl.updated_at = %(now)s AND t.source_system = 'harvest'
  AND he.sync_log_id < %(since)s
