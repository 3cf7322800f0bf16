-- Open conflicts of one check that this run no longer sees are resolved
-- (params: now, company_id, entity_type, kind, now).
UPDATE sync_conflicts
SET status = 'resolved', resolved_at = %s, updated_at = CURRENT_TIMESTAMP(6)
WHERE company_id = %s AND entity_type = %s AND kind = %s AND status = 'open' AND last_seen_at < %s
