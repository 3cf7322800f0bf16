-- Service lines are QBO classes.
INSERT INTO service_lines (company_id, qbo_class_id, name, is_active, source_updated_at, deleted_at, row_hash,
                           created_at, updated_at)
SELECT s.company_id, s.qbo_class_id, s.name, s.is_active, s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT c.company_id, c.qbo_id AS qbo_class_id, COALESCE(c.fully_qualified_name, c.name, '') AS name,
         COALESCE(c.active, 1) AS is_active, c.source_updated_at, c.deleted_at,
         UNHEX(MD5(CONCAT_WS('|', COALESCE(c.fully_qualified_name, c.name, ''), COALESCE(c.active, 1),
                             IFNULL(c.deleted_at, '~')))) AS row_hash
  FROM staging_qbo_classes c WHERE c.company_id = %(company_id)s
) s
LEFT JOIN service_lines t ON t.company_id = s.company_id AND t.qbo_class_id = s.qbo_class_id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  service_lines.updated_at = IF(service_lines.row_hash <=> s.row_hash, service_lines.updated_at, %(now)s),
  service_lines.name = s.name,
  service_lines.is_active = s.is_active,
  service_lines.source_updated_at = s.source_updated_at,
  service_lines.deleted_at = s.deleted_at,
  service_lines.row_hash = s.row_hash
