-- Harvest user id -> person entity, for merge_time_entries_harvest.sql: a BIGINT-keyed in-memory lookup is
-- about 2 µs a row cheaper than probing source_links' five-column text key once per staged entry. Only the
-- canonical integer spellings are kept, exactly the source_ids CAST(user_id AS CHAR) could have matched.
DROP TEMPORARY TABLE IF EXISTS merge_harvest_people;
CREATE TEMPORARY TABLE merge_harvest_people (
  user_id BIGINT NOT NULL PRIMARY KEY,
  entity_id BIGINT UNSIGNED NOT NULL
) ENGINE=MEMORY
SELECT CAST(source_id AS SIGNED) AS user_id, entity_id
FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'person' AND `system` = 'harvest' AND source_type = 'user'
  AND source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$';
