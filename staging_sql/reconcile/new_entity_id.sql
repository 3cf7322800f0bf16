INSERT INTO entity_ids (company_id, entity_type) VALUES (%s, %s)
