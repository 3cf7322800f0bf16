-- QBO invoice lines from the staged invoice's Line[] (JSON_TABLE; the SubTotal line has no Id and is no line).
-- The service line through the line's class, else the invoice's. A deleted invoice's lines are deleted with it;
-- lines gone from a staged invoice are retired by retire_invoice_lines_qbo.sql. Never older over newer (the
-- invoice's version). As merge_time_entries_harvest.sql: stored lines whose hash differs are updated in place,
-- then new lines inserted; one level, so the hash is spelled out in each place.
UPDATE staging_qbo_invoices q
JOIN invoices i ON i.company_id = q.company_id AND i.source_system = 'qbo' AND i.source_id = q.qbo_id
JOIN JSON_TABLE(q.raw_json, '$.Line[*]' COLUMNS (
       line_id VARCHAR(64) PATH '$.Id',
       line_num INT PATH '$.LineNum',
       detail_type VARCHAR(64) PATH '$.DetailType',
       description TEXT PATH '$.Description',
       quantity DECIMAL(14,4) PATH '$.SalesItemLineDetail.Qty',
       unit_price DECIMAL(14,4) PATH '$.SalesItemLineDetail.UnitPrice',
       amount DECIMAL(14,2) PATH '$.Amount',
       service_date DATE PATH '$.SalesItemLineDetail.ServiceDate',
       item_id VARCHAR(64) PATH '$.SalesItemLineDetail.ItemRef.value',
       class_id VARCHAR(64) PATH '$.SalesItemLineDetail.ClassRef.value')) l ON l.line_id IS NOT NULL
LEFT JOIN service_lines sl ON sl.company_id = q.company_id
     AND sl.qbo_class_id = CONVERT(COALESCE(l.class_id, q.class_id) USING utf8mb4) COLLATE utf8mb4_unicode_ci
JOIN invoice_lines t ON t.company_id = q.company_id AND t.invoice_id = i.id
     AND t.source_line_id = CONVERT(l.line_id USING utf8mb4) COLLATE utf8mb4_unicode_ci
SET t.line_num = l.line_num,
    t.detail_type = l.detail_type,
    t.description = l.description,
    t.quantity = l.quantity,
    t.unit_price = l.unit_price,
    t.amount = l.amount,
    t.service_date = l.service_date,
    t.qbo_item_id = l.item_id,
    t.service_line_id = sl.id,
    t.source_updated_at = q.source_updated_at,
    t.deleted_at = q.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.detail_type, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(l.service_date, '~'), IFNULL(l.item_id, '~'),
                 IFNULL(sl.id, '~'), IFNULL(q.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.detail_type, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(l.service_date, '~'), IFNULL(l.item_id, '~'),
                 IFNULL(sl.id, '~'), IFNULL(q.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR q.source_updated_at IS NULL OR q.source_updated_at >= t.source_updated_at);

INSERT INTO invoice_lines (company_id, invoice_id, source_line_id, line_num, detail_type, description, quantity,
                           unit_price, amount, service_date, qbo_item_id, service_line_id, source_updated_at,
                           deleted_at, row_hash, created_at, updated_at)
SELECT q.company_id, i.id, l.line_id, l.line_num, l.detail_type, l.description, l.quantity, l.unit_price, l.amount,
       l.service_date, l.item_id, sl.id, q.source_updated_at, q.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', IFNULL(i.id, '~'), IFNULL(l.line_num, '~'), IFNULL(l.detail_type, '~'),
                 IFNULL(l.description, '~'), IFNULL(l.quantity, '~'), IFNULL(l.unit_price, '~'),
                 IFNULL(l.amount, '~'), IFNULL(l.service_date, '~'), IFNULL(l.item_id, '~'),
                 IFNULL(sl.id, '~'), IFNULL(q.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_qbo_invoices q
JOIN invoices i ON i.company_id = q.company_id AND i.source_system = 'qbo' AND i.source_id = q.qbo_id
JOIN JSON_TABLE(q.raw_json, '$.Line[*]' COLUMNS (
       line_id VARCHAR(64) PATH '$.Id',
       line_num INT PATH '$.LineNum',
       detail_type VARCHAR(64) PATH '$.DetailType',
       description TEXT PATH '$.Description',
       quantity DECIMAL(14,4) PATH '$.SalesItemLineDetail.Qty',
       unit_price DECIMAL(14,4) PATH '$.SalesItemLineDetail.UnitPrice',
       amount DECIMAL(14,2) PATH '$.Amount',
       service_date DATE PATH '$.SalesItemLineDetail.ServiceDate',
       item_id VARCHAR(64) PATH '$.SalesItemLineDetail.ItemRef.value',
       class_id VARCHAR(64) PATH '$.SalesItemLineDetail.ClassRef.value')) l ON l.line_id IS NOT NULL
LEFT JOIN service_lines sl ON sl.company_id = q.company_id
     AND sl.qbo_class_id = CONVERT(COALESCE(l.class_id, q.class_id) USING utf8mb4) COLLATE utf8mb4_unicode_ci
LEFT JOIN invoice_lines t ON t.company_id = q.company_id AND t.invoice_id = i.id
     AND t.source_line_id = CONVERT(l.line_id USING utf8mb4) COLLATE utf8mb4_unicode_ci
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s) AND t.id IS NULL
