-- QBO payments (QBO owns money): the client through the customer link; invoice_id is the first invoice the
-- payment's lines link to (all of them in applied_invoice_source_ids). Runs after the invoice merges.
-- As merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never by an older
-- staged version), then new payments inserted; the first update reads the payments staged since (full: all),
-- the second merge_qbo_payments_scope (scope_payments_qbo.sql: payments whose customer link changed or whose
-- first invoice's row appeared in this run; empty when full). One level, so the hash is spelled out in each place.
UPDATE staging_qbo_payments p
JOIN payments t ON t.company_id = p.company_id AND t.source_system = 'qbo' AND t.source_id = p.qbo_id
LEFT JOIN source_links cl ON cl.company_id = p.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = p.customer_id
LEFT JOIN invoices i ON i.company_id = p.company_id AND i.source_system = 'qbo'
     AND i.source_id = SUBSTRING_INDEX(p.invoice_ids, ',', 1)
SET t.client_id = cl.entity_id,
    t.invoice_id = i.id,
    t.applied_invoice_source_ids = p.invoice_ids,
    t.txn_date = p.txn_date,
    t.currency = p.currency,
    t.total_amount = p.total_amt,
    t.unapplied_amount = p.unapplied_amt,
    t.source_updated_at = p.source_updated_at,
    t.deleted_at = p.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
                 IFNULL(p.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE p.company_id = %(company_id)s AND (%(full)s = 1 OR p.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
                 IFNULL(p.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR p.source_updated_at IS NULL OR p.source_updated_at >= t.source_updated_at);

UPDATE merge_qbo_payments_scope s
JOIN staging_qbo_payments p ON p.company_id = %(company_id)s AND p.qbo_id = s.qbo_id
JOIN payments t ON t.company_id = p.company_id AND t.source_system = 'qbo' AND t.source_id = p.qbo_id
LEFT JOIN source_links cl ON cl.company_id = p.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = p.customer_id
LEFT JOIN invoices i ON i.company_id = p.company_id AND i.source_system = 'qbo'
     AND i.source_id = SUBSTRING_INDEX(p.invoice_ids, ',', 1)
SET t.client_id = cl.entity_id,
    t.invoice_id = i.id,
    t.applied_invoice_source_ids = p.invoice_ids,
    t.txn_date = p.txn_date,
    t.currency = p.currency,
    t.total_amount = p.total_amt,
    t.unapplied_amount = p.unapplied_amt,
    t.source_updated_at = p.source_updated_at,
    t.deleted_at = p.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
                 IFNULL(p.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(p.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(i.id, '~'),
                 IFNULL(p.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR p.source_updated_at IS NULL OR p.source_updated_at >= t.source_updated_at);

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
WHERE p.company_id = %(company_id)s AND (%(full)s = 1 OR p.sync_log_id >= %(since)s) AND t.id IS NULL
