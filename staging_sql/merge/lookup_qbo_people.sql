-- QBO Employee and Vendor ids -> person entity, for merge_time_entries_qbo.sql (the lookups it joins instead
-- of probing source_links' five-column key twice per staged activity). Two tables of one shape: MySQL 8
-- cannot open one temporary table twice in a statement.
DROP TEMPORARY TABLE IF EXISTS merge_qbo_employees;
CREATE TEMPORARY TABLE merge_qbo_employees (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
  entity_id BIGINT UNSIGNED NOT NULL
) ENGINE=MEMORY
SELECT source_id, entity_id
FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'qbo' AND source_type = 'employee';

DROP TEMPORARY TABLE IF EXISTS merge_qbo_vendors;
CREATE TEMPORARY TABLE merge_qbo_vendors LIKE merge_qbo_employees;
INSERT INTO merge_qbo_vendors (source_id, entity_id)
SELECT source_id, entity_id FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'qbo' AND source_type = 'vendor';
