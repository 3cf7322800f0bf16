SELECT entity_type, COUNT(*) AS unmatched
FROM sync_conflicts
WHERE company_id = %s AND kind = 'unmatched' AND status = 'open'
GROUP BY entity_type
