-- The versions of {versions} superseded before %(before)s: for each row, every version older than the one in
-- effect at that moment (the latest with valid_from < before), which stays, as does every later one. Numbered
-- (seq) so the deletes go in short batches. {versions} and {entity} come from pipelines/reconcile/history.py.
DROP TEMPORARY TABLE IF EXISTS history_expirable;

CREATE TEMPORARY TABLE history_expirable (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  company_id INT UNSIGNED NOT NULL,
  entity_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL
) ENGINE=InnoDB
SELECT v.company_id, v.{entity} AS entity_id, v.version
FROM {versions} v
JOIN (SELECT company_id, {entity} AS entity_id, MAX(version) AS in_effect
      FROM {versions} WHERE valid_from < %(before)s GROUP BY company_id, {entity}) k
  ON k.company_id = v.company_id AND k.entity_id = v.{entity} AND v.version < k.in_effect
ORDER BY v.company_id, v.{entity}, v.version
