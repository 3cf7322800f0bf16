-- QBO payments (QBO owns money): the client through the customer link; invoice_id is the first invoice the
-- payment's lines link to (all of them in applied_invoice_source_ids). One level, hash-only, never older over
-- newer; the hash is spelled out twice. Runs after the invoice merges.
INSERT INTO payments (company_id, source_system, source_id, client_id, invoice_id, applied_invoice_source_ids,
                      txn_date, currency, total_amount, unapplied_amount, source_updated_at, deleted_at, row_hash,
                      created_at, updated_at)
SELECT p.company_id, 'qbo', p.qbo_id, cl.entity_id, i.id, p.invoice_ids, p.txn_date, p.currency, p.total_amt,
       p.unapplied_amt, p.source_updated_at, p.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
             IFNULL(p.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_qbo_payments p
LEFT JOIN source_links cl ON cl.company_id = p.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = p.customer_id
LEFT JOIN invoices i ON i.company_id = p.company_id AND i.source_system = 'qbo'
     AND i.source_id = SUBSTRING_INDEX(p.invoice_ids, ',', 1)
LEFT JOIN payments t ON t.company_id = p.company_id AND t.source_system = 'qbo' AND t.source_id = p.qbo_id
WHERE p.company_id = %(company_id)s AND (%(full)s = 1 OR p.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
                 IFNULL(p.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR p.source_updated_at IS NULL
                OR p.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  payments.updated_at = IF(payments.row_hash <=> VALUES(row_hash), payments.updated_at, %(now)s),
  payments.client_id = VALUES(client_id),
  payments.invoice_id = VALUES(invoice_id),
  payments.applied_invoice_source_ids = VALUES(applied_invoice_source_ids),
  payments.txn_date = VALUES(txn_date),
  payments.currency = VALUES(currency),
  payments.total_amount = VALUES(total_amount),
  payments.unapplied_amount = VALUES(unapplied_amount),
  payments.source_updated_at = VALUES(source_updated_at),
  payments.deleted_at = VALUES(deleted_at),
  payments.row_hash = VALUES(row_hash)
