SELECT COUNT(DISTINCT entity_id) FROM source_links
WHERE company_id = %(company_id)s AND entity_type = 'person' AND deleted_at IS NULL
