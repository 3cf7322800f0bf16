-- Memberships no staged person carries any more (a role removed from a person, a link moved by an override) are
-- soft-deleted; the retired hash differs from every merged one, so one that comes back is revived.
UPDATE team_member_roles tmr
SET tmr.deleted_at = %(now)s, tmr.updated_at = %(now)s,
    tmr.row_hash = UNHEX(MD5(CONCAT_WS('|', 'retired', tmr.team_member_id, tmr.role_id)))
WHERE tmr.company_id = %(company_id)s AND tmr.deleted_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM staging_harvest_users hu
    JOIN JSON_TABLE(hu.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    JOIN source_links pl ON pl.company_id = hu.company_id AND pl.entity_type = 'person' AND pl.`system` = 'harvest'
         AND pl.source_type = 'user' AND pl.source_id = CAST(hu.id AS CHAR) AND pl.deleted_at IS NULL
    JOIN roles r ON r.company_id = hu.company_id
         AND r.name = TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci)
    WHERE hu.company_id = tmr.company_id AND pl.entity_id = tmr.team_member_id AND r.id = tmr.role_id)
  AND NOT EXISTS (
    SELECT 1 FROM staging_forecast_people fp
    JOIN JSON_TABLE(fp.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j
    JOIN source_links pl ON pl.company_id = fp.company_id AND pl.entity_type = 'person' AND pl.`system` = 'forecast'
         AND pl.source_type = 'person' AND pl.source_id = CAST(fp.id AS CHAR) AND pl.deleted_at IS NULL
    JOIN roles r ON r.company_id = fp.company_id
         AND r.name = TRIM(CONVERT(j.name USING utf8mb4) COLLATE utf8mb4_unicode_ci)
    WHERE fp.company_id = tmr.company_id AND pl.entity_id = tmr.team_member_id AND r.id = tmr.role_id)
