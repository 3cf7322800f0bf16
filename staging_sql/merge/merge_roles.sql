-- Roles by name (unique per company): Harvest roles, Forecast roles and the role names Harvest users and
-- Forecast people carry. A name is deleted once every source naming it is deleted, revived when one comes
-- back. Aggregated over sources, so the hash is the name and whether it is deleted (not a source version).
INSERT INTO roles (company_id, name, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT r.company_id, r.name, r.source_updated_at, r.deleted_at, r.row_hash, %(now)s, %(now)s
FROM (
  SELECT %(company_id)s AS company_id, u.name, MAX(u.source_updated_at) AS source_updated_at,
         IF(SUM(u.deleted_at IS NULL) > 0, NULL, MAX(u.deleted_at)) AS deleted_at,
         UNHEX(MD5(CONCAT_WS('|', u.name, IF(SUM(u.deleted_at IS NULL) > 0, '~', 'deleted')))) AS row_hash
  FROM (
    SELECT TRIM(name) AS name, source_updated_at, deleted_at FROM staging_harvest_roles
    WHERE company_id = %(company_id)s
    UNION ALL
    SELECT TRIM(name), source_updated_at, deleted_at FROM staging_forecast_roles WHERE company_id = %(company_id)s
    UNION ALL
    SELECT TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci), hu.source_updated_at, hu.deleted_at
    FROM staging_harvest_users hu
    JOIN JSON_TABLE(hu.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    WHERE hu.company_id = %(company_id)s
    UNION ALL
    SELECT TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci), fp.source_updated_at, fp.deleted_at
    FROM staging_forecast_people fp
    JOIN JSON_TABLE(fp.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    WHERE fp.company_id = %(company_id)s
  ) u
  WHERE u.name IS NOT NULL AND u.name <> ''
  GROUP BY u.name
) r
LEFT JOIN roles t ON t.company_id = r.company_id AND t.name = r.name
WHERE t.id IS NULL OR t.row_hash <> r.row_hash
ON DUPLICATE KEY UPDATE
  roles.updated_at = IF(roles.row_hash <=> r.row_hash, roles.updated_at, %(now)s),
  roles.source_updated_at = r.source_updated_at,
  roles.deleted_at = r.deleted_at,
  roles.row_hash = r.row_hash
