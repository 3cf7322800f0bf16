-- Lines no longer in their staged Harvest invoice's line_items are soft-deleted (see retire_invoice_lines_qbo.sql);
-- incremental, only the lines of invoices staged since `since`.
UPDATE invoice_lines il
JOIN invoices i ON i.company_id = il.company_id AND i.id = il.invoice_id AND i.source_system = 'harvest'
JOIN staging_harvest_invoices h ON h.company_id = i.company_id AND h.id = CAST(i.source_id AS SIGNED)
SET il.deleted_at = COALESCE(h.deleted_at, %(now)s), il.updated_at = %(now)s,
    il.row_hash = UNHEX(MD5(CONCAT('retired|', il.id)))
WHERE il.company_id = %(company_id)s AND il.deleted_at IS NULL AND (%(full)s = 1 OR h.sync_log_id >= %(since)s)
  AND (h.deleted_at IS NOT NULL
       OR NOT JSON_CONTAINS(COALESCE(h.line_items, JSON_ARRAY()),
                            JSON_OBJECT('id', CAST(il.source_line_id AS SIGNED))))
  AND (il.source_updated_at IS NULL OR h.source_updated_at IS NULL OR h.source_updated_at >= il.source_updated_at)
