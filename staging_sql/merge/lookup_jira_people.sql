-- Jira account id -> person entity, for the worklog merge and its pairing (built once per merge instead of
-- probing source_links' five-column key once per staged worklog). Every link counts, as the merge always read them.
DROP TEMPORARY TABLE IF EXISTS merge_jira_people;

CREATE TEMPORARY TABLE merge_jira_people (
  account_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY,
  entity_id BIGINT UNSIGNED NOT NULL
) ENGINE=MEMORY;

INSERT INTO merge_jira_people (account_id, entity_id)
SELECT source_id, entity_id
FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'jira' AND source_type = 'user';
