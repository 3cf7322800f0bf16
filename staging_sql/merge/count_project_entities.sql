SELECT COUNT(DISTINCT entity_id) FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'project' AND deleted_at IS NULL
