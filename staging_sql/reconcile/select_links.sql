SELECT `system`, source_type, source_id, entity_id
FROM source_links
WHERE company_id = %s AND entity_type = %s AND deleted_at IS NULL
