-- Harvest invoices are kept as their own rows (source_system 'harvest'); where a QBO invoice carries the same
-- number, QBO's money wins and differences go to sync_conflicts (select_invoice_conflicts.sql).
-- One level, hash-only, never older over newer; the hash is spelled out twice.
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
WHERE h.company_id = %(company_id)s AND (%(full)s = 1 OR h.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(h.row_hash), IFNULL(cl.entity_id, '~'),
                 IFNULL(h.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR h.source_updated_at IS NULL
                OR h.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  invoices.updated_at = IF(invoices.row_hash <=> VALUES(row_hash), invoices.updated_at, %(now)s),
  invoices.client_id = VALUES(client_id),
  invoices.doc_number = VALUES(doc_number),
  invoices.txn_date = VALUES(txn_date),
  invoices.due_date = VALUES(due_date),
  invoices.currency = VALUES(currency),
  invoices.total_amount = VALUES(total_amount),
  invoices.balance = VALUES(balance),
  invoices.total_tax = VALUES(total_tax),
  invoices.source_updated_at = VALUES(source_updated_at),
  invoices.deleted_at = VALUES(deleted_at),
  invoices.row_hash = VALUES(row_hash)
