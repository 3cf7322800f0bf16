-- Incremental (full = 0): the staged time activities not staged since the watermark that a change in this run
-- can still have changed, in merge_qbo_scope for the second statement of merge_time_entries_qbo.sql: those of an
-- employee or vendor whose person link changed, of a customer whose job or customer link (or the job's project
-- row) changed, of a class whose service line changed. As scope_time_entries_harvest.sql: an empty changed set
-- reads nothing, else one pass over the company's staged activities. Full, everything stays empty.
DROP TEMPORARY TABLE IF EXISTS merge_qbo_scope;

CREATE TEMPORARY TABLE merge_qbo_scope (
  qbo_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_employees;

CREATE TEMPORARY TABLE merge_qbo_changed_employees (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_qbo_changed_employees (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'qbo'
  AND source_type = 'employee' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_scope (qbo_id)
SELECT a.qbo_id FROM staging_qbo_time_activities a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.employee_id IN (SELECT source_id FROM merge_qbo_changed_employees);

DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_vendors;

CREATE TEMPORARY TABLE merge_qbo_changed_vendors LIKE merge_qbo_changed_employees;

INSERT INTO merge_qbo_changed_vendors (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'person' AND `system` = 'qbo'
  AND source_type = 'vendor' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_scope (qbo_id)
SELECT a.qbo_id FROM staging_qbo_time_activities a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.vendor_id IN (SELECT source_id FROM merge_qbo_changed_vendors);

DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_customers;

CREATE TEMPORARY TABLE merge_qbo_changed_customers LIKE merge_qbo_changed_employees;

INSERT IGNORE INTO merge_qbo_changed_customers (source_id)
SELECT l.source_id FROM source_links l
LEFT JOIN projects p ON l.entity_type = 'project' AND p.id = l.entity_id AND p.updated_at = %(now)s
WHERE l.company_id = %(company_id)s AND %(full)s = 0 AND l.`system` = 'qbo'
  AND ((l.entity_type = 'project' AND l.source_type = 'job') OR (l.entity_type = 'client' AND l.source_type = 'customer'))
  AND (l.updated_at = %(now)s OR p.id IS NOT NULL);

INSERT IGNORE INTO merge_qbo_scope (qbo_id)
SELECT a.qbo_id FROM staging_qbo_time_activities a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.customer_id IN (SELECT source_id FROM merge_qbo_changed_customers);

DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_classes;

CREATE TEMPORARY TABLE merge_qbo_changed_classes (
  qbo_class_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_qbo_changed_classes (qbo_class_id)
SELECT qbo_class_id FROM service_lines
WHERE company_id = %(company_id)s AND %(full)s = 0 AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_scope (qbo_id)
SELECT a.qbo_id FROM staging_qbo_time_activities a
WHERE a.company_id = %(company_id)s AND a.sync_log_id < %(since)s
  AND a.class_id IN (SELECT qbo_class_id FROM merge_qbo_changed_classes)
