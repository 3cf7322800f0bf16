-- QBO customer id -> the project (when the customer is a job, i.e. a sub-customer) and the client: the
-- project's client, else the customer's own client link. For merge_time_entries_qbo.sql.
DROP TEMPORARY TABLE IF EXISTS merge_qbo_customers;
CREATE TEMPORARY TABLE merge_qbo_customers (
  customer_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
  project_id BIGINT UNSIGNED NULL,
  client_id BIGINT UNSIGNED NULL
) ENGINE=MEMORY
SELECT l.source_id AS customer_id, MAX(p.id) AS project_id,
       COALESCE(MAX(p.client_id), MAX(IF(l.entity_type = 'client', l.entity_id, NULL))) AS client_id
FROM source_links l
LEFT JOIN projects p ON l.entity_type = 'project' AND p.id = l.entity_id
WHERE l.company_id = %(company_id)s AND l.`system` = 'qbo'
  AND ((l.entity_type = 'project' AND l.source_type = 'job')
       OR (l.entity_type = 'client' AND l.source_type = 'customer'))
GROUP BY l.source_id;
