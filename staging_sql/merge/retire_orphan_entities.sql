-- Soft-delete entities no live source link points at any more ({table}: clients, projects, team_members).
UPDATE {table} t
SET t.updated_at = %(now)s, t.deleted_at = %(now)s
WHERE t.company_id = %(company_id)s AND t.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM source_links l
                  WHERE l.company_id = t.company_id AND l.entity_type = %(entity_type)s AND l.entity_id = t.id
                    AND l.deleted_at IS NULL)
