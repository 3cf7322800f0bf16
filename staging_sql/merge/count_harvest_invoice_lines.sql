SELECT COUNT(*) FROM staging_harvest_invoices h
JOIN JSON_TABLE(h.line_items, '$[*]' COLUMNS (line_id VARCHAR(64) PATH '$.id')) l ON l.line_id IS NOT NULL
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s)
