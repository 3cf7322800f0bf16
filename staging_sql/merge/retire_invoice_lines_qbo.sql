-- Lines no longer in their staged QBO invoice's Line[] (edited away, or a CDC tombstone without lines) are
-- soft-deleted; the retired hash differs from every merged one, so a line that comes back is revived.
-- Incremental, only the lines of invoices staged since `since`: an invoice's Line[] changes only by re-staging.
UPDATE invoice_lines il
JOIN invoices i ON i.company_id = il.company_id AND i.id = il.invoice_id AND i.source_system = 'qbo'
JOIN staging_qbo_invoices q ON q.company_id = i.company_id AND q.qbo_id = i.source_id
SET il.deleted_at = COALESCE(q.deleted_at, %(now)s), il.updated_at = %(now)s,
    il.row_hash = UNHEX(MD5(CONCAT('retired|', il.id)))
WHERE il.company_id = %(company_id)s AND il.deleted_at IS NULL AND (%(full)s = 1 OR q.sync_log_id >= %(since)s)
  AND (q.deleted_at IS NOT NULL OR JSON_SEARCH(q.raw_json, 'one', il.source_line_id, NULL, '$.Line[*].Id') IS NULL)
  AND (il.source_updated_at IS NULL OR q.source_updated_at IS NULL OR q.source_updated_at >= il.source_updated_at)
