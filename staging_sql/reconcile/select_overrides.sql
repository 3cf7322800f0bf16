SELECT `system`, source_type, source_id, action, target_entity_id, target_system, target_source_type,
       target_source_id
FROM identity_overrides
WHERE company_id = %s AND entity_type = %s AND deleted_at IS NULL
ORDER BY id
