-- Harvest invoices are kept as their own rows (source_system 'harvest'); where a QBO invoice carries the same
-- number, QBO's money wins and differences go to sync_conflicts (select_invoice_conflicts.sql).
-- As merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never by an older
-- staged version), then new invoices inserted; the first update reads the invoices staged since (full: all),
-- the second merge_harvest_invoices_scope (scope_invoices_harvest.sql: invoices whose client link changed in
-- this run; empty when full). One level, so the hash is spelled out in each place.
UPDATE staging_harvest_invoices h
JOIN invoices t ON t.company_id = h.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(h.id AS CHAR)
LEFT JOIN source_links cl ON cl.company_id = h.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'harvest' AND cl.source_type = 'client' AND cl.source_id = CAST(h.client_id AS CHAR)
SET t.client_id = cl.entity_id,
    t.doc_number = h.number,
    t.txn_date = h.issue_date,
    t.due_date = h.due_date,
    t.currency = h.currency,
    t.total_amount = CAST(h.amount AS DECIMAL(14,2)),
    t.balance = CAST(h.due_amount AS DECIMAL(14,2)),
    t.total_tax = CAST(COALESCE(h.tax_amount, 0) + COALESCE(h.tax2_amount, 0) AS DECIMAL(14,2)),
    t.source_updated_at = h.source_updated_at,
    t.deleted_at = h.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(h.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(h.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR h.source_updated_at IS NULL OR h.source_updated_at >= t.source_updated_at);

UPDATE merge_harvest_invoices_scope s
JOIN staging_harvest_invoices h ON h.company_id = %(company_id)s AND h.id = s.id
JOIN invoices t ON t.company_id = h.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(h.id AS CHAR)
LEFT JOIN source_links cl ON cl.company_id = h.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'harvest' AND cl.source_type = 'client' AND cl.source_id = CAST(h.client_id AS CHAR)
SET t.client_id = cl.entity_id,
    t.doc_number = h.number,
    t.txn_date = h.issue_date,
    t.due_date = h.due_date,
    t.currency = h.currency,
    t.total_amount = CAST(h.amount AS DECIMAL(14,2)),
    t.balance = CAST(h.due_amount AS DECIMAL(14,2)),
    t.total_tax = CAST(COALESCE(h.tax_amount, 0) + COALESCE(h.tax2_amount, 0) AS DECIMAL(14,2)),
    t.source_updated_at = h.source_updated_at,
    t.deleted_at = h.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(h.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(h.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR h.source_updated_at IS NULL OR h.source_updated_at >= t.source_updated_at);

INSERT INTO invoices (company_id, source_system, source_id, client_id, project_id, doc_number, txn_date, due_date,
                      currency, total_amount, balance, total_tax, source_updated_at, deleted_at, row_hash,
                      created_at, updated_at)
SELECT h.company_id, 'harvest', CAST(h.id AS CHAR), cl.entity_id, NULL, h.number, h.issue_date, h.due_date,
       h.currency, CAST(h.amount AS DECIMAL(14,2)), CAST(h.due_amount AS DECIMAL(14,2)),
       CAST(COALESCE(h.tax_amount, 0) + COALESCE(h.tax2_amount, 0) AS DECIMAL(14,2)), h.source_updated_at,
       h.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(h.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_harvest_invoices h
LEFT JOIN source_links cl ON cl.company_id = h.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'harvest' AND cl.source_type = 'client' AND cl.source_id = CAST(h.client_id AS CHAR)
LEFT JOIN invoices t ON t.company_id = h.company_id AND t.source_system = 'harvest'
     AND t.source_id = CAST(h.id AS CHAR)
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s) AND t.id IS NULL
