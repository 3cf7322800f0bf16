-- Who holds which role: the role names on Harvest users and Forecast people, through their person links. A
-- membership is deleted once every source carrying it is deleted (retire_team_member_roles.sql retires those
-- no source carries any more). Aggregated over sources: the hash is the pair and whether it is deleted.
INSERT INTO team_member_roles (company_id, team_member_id, role_id, source_updated_at, deleted_at, row_hash,
                               created_at, updated_at)
SELECT m.company_id, m.team_member_id, m.role_id, m.source_updated_at, m.deleted_at, m.row_hash, %(now)s, %(now)s
FROM (
  SELECT %(company_id)s AS company_id, u.team_member_id, u.role_id, MAX(u.source_updated_at) AS source_updated_at,
         IF(SUM(u.deleted_at IS NULL) > 0, NULL, MAX(u.deleted_at)) AS deleted_at,
         UNHEX(MD5(CONCAT_WS('|', u.team_member_id, u.role_id,
                             IF(SUM(u.deleted_at IS NULL) > 0, '~', 'deleted')))) AS row_hash
  FROM (
    SELECT pl.entity_id AS team_member_id, r.id AS role_id, hu.source_updated_at, hu.deleted_at
    FROM staging_harvest_users hu
    JOIN JSON_TABLE(hu.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    JOIN source_links pl ON pl.company_id = hu.company_id AND pl.entity_type = 'person' AND pl.`system` = 'harvest'
         AND pl.source_type = 'user' AND pl.source_id = CAST(hu.id AS CHAR) AND pl.deleted_at IS NULL
    JOIN roles r ON r.company_id = hu.company_id
         AND r.name = TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci)
    WHERE hu.company_id = %(company_id)s
    UNION ALL
    SELECT pl.entity_id, r.id, fp.source_updated_at, fp.deleted_at
    FROM staging_forecast_people fp
    JOIN JSON_TABLE(fp.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    JOIN source_links pl ON pl.company_id = fp.company_id AND pl.entity_type = 'person' AND pl.`system` = 'forecast'
         AND pl.source_type = 'person' AND pl.source_id = CAST(fp.id AS CHAR) AND pl.deleted_at IS NULL
    JOIN roles r ON r.company_id = fp.company_id
         AND r.name = TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci)
    WHERE fp.company_id = %(company_id)s
  ) u
  GROUP BY u.team_member_id, u.role_id
) m
LEFT JOIN team_member_roles t ON t.company_id = m.company_id AND t.team_member_id = m.team_member_id
     AND t.role_id = m.role_id
WHERE t.company_id IS NULL OR t.row_hash <> m.row_hash
ON DUPLICATE KEY UPDATE
  team_member_roles.updated_at = IF(team_member_roles.row_hash <=> m.row_hash, team_member_roles.updated_at,
                                    %(now)s),
  team_member_roles.source_updated_at = m.source_updated_at,
  team_member_roles.deleted_at = m.deleted_at,
  team_member_roles.row_hash = m.row_hash
