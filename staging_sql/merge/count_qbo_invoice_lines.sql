SELECT COUNT(*) FROM staging_qbo_invoices q
JOIN JSON_TABLE(q.raw_json, '$.Line[*]' COLUMNS (line_id VARCHAR(64) PATH '$.Id')) l ON l.line_id IS NOT NULL
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s)
