-- Harvest invoice lines from the staged invoice's line_items (JSON_TABLE), on the Harvest invoice's row.
-- A deleted invoice's lines are deleted with it; lines gone from a staged invoice are retired by
-- retire_invoice_lines_harvest.sql. Never older over newer (the invoice's version). As
-- merge_time_entries_harvest.sql: stored lines whose hash differs are updated in place, then new lines inserted;
-- one level, so the hash is spelled out in each place.
UPDATE staging_harvest_invoices h
JOIN invoices i ON i.company_id = h.company_id AND i.source_system = 'harvest' AND i.source_id = CAST(h.id AS CHAR)
JOIN JSON_TABLE(h.line_items, '$[*]' COLUMNS (
       line_num FOR ORDINALITY,
       line_id VARCHAR(64) PATH '$.id',
       kind VARCHAR(64) PATH '$.kind',
       description TEXT PATH '$.description',
       quantity DECIMAL(14,4) PATH '$.quantity',
       unit_price DECIMAL(14,4) PATH '$.unit_price',
       amount DECIMAL(14,2) PATH '$.amount')) l ON l.line_id IS NOT NULL
JOIN invoice_lines t ON t.company_id = h.company_id AND t.invoice_id = i.id
     AND t.source_line_id = CONVERT(l.line_id USING utf8mb4) COLLATE utf8mb4_unicode_ci
SET t.line_num = l.line_num,
    t.detail_type = l.kind,
    t.description = l.description,
    t.quantity = l.quantity,
    t.unit_price = l.unit_price,
    t.amount = l.amount,
    t.source_updated_at = h.source_updated_at,
    t.deleted_at = h.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.kind, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(h.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.kind, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(h.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR h.source_updated_at IS NULL OR h.source_updated_at >= t.source_updated_at);

INSERT INTO invoice_lines (company_id, invoice_id, source_line_id, line_num, detail_type, description, quantity,
                           unit_price, amount, service_date, qbo_item_id, service_line_id, source_updated_at,
                           deleted_at, row_hash, created_at, updated_at)
SELECT h.company_id, i.id, l.line_id, l.line_num, l.kind, l.description, l.quantity, l.unit_price, l.amount,
       NULL, NULL, NULL, h.source_updated_at, h.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.kind, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(h.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_harvest_invoices h
JOIN invoices i ON i.company_id = h.company_id AND i.source_system = 'harvest' AND i.source_id = CAST(h.id AS CHAR)
JOIN JSON_TABLE(h.line_items, '$[*]' COLUMNS (
       line_num FOR ORDINALITY,
       line_id VARCHAR(64) PATH '$.id',
       kind VARCHAR(64) PATH '$.kind',
       description TEXT PATH '$.description',
       quantity DECIMAL(14,4) PATH '$.quantity',
       unit_price DECIMAL(14,4) PATH '$.unit_price',
       amount DECIMAL(14,2) PATH '$.amount')) l ON l.line_id IS NOT NULL
LEFT JOIN invoice_lines t ON t.company_id = h.company_id AND t.invoice_id = i.id
     AND t.source_line_id = CONVERT(l.line_id USING utf8mb4) COLLATE utf8mb4_unicode_ci
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s) AND t.id IS NULL
