-- One crosswalk row; updated_at moves only when the link itself changes (its hash). The parameters are named
-- again in the update part (MySQL 8 deprecates the VALUES function there).
INSERT INTO source_links (company_id, entity_type, `system`, source_type, source_id, entity_id, is_primary,
                          match_rule, source_updated_at, row_hash, created_at, updated_at)
VALUES (%(company_id)s, %(entity_type)s, %(system)s, %(source_type)s, %(source_id)s, %(entity_id)s,
        %(is_primary)s, %(match_rule)s, %(source_updated_at)s, UNHEX(MD5(CONCAT_WS('|', %(entity_id)s,
        %(is_primary)s, %(match_rule)s))), %(now)s, %(now)s)
ON DUPLICATE KEY UPDATE
  source_links.updated_at = IF(source_links.row_hash <=> UNHEX(MD5(CONCAT_WS('|', %(entity_id)s, %(is_primary)s,
                                                                   %(match_rule)s)))
                               AND source_links.deleted_at IS NULL, source_links.updated_at, %(now)s),
  source_links.entity_id = %(entity_id)s,
  source_links.is_primary = %(is_primary)s,
  source_links.match_rule = %(match_rule)s,
  source_links.source_updated_at = %(source_updated_at)s,
  source_links.row_hash = UNHEX(MD5(CONCAT_WS('|', %(entity_id)s, %(is_primary)s, %(match_rule)s))),
  source_links.deleted_at = NULL
