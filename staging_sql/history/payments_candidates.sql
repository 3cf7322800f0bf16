-- The payments this run wrote (updated_at = now, through ix_payments_updated), each as the version it would
-- append (latest version + 1, or 1), in a temporary table shaped like payment_versions; then those whose
-- business_hash equals their latest version's are dropped. Payments are few: new and changed rows take one path.
DROP TEMPORARY TABLE IF EXISTS history_payments;

CREATE TEMPORARY TABLE history_payments LIKE payment_versions;

INSERT INTO history_payments (company_id, payment_id, version, source_system, source_id, client_id, invoice_id,
                              applied_invoice_source_ids, txn_date, currency, total_amount, unapplied_amount,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT p.company_id, p.id, COALESCE(h.version, 0) + 1, p.source_system, p.source_id, p.client_id, p.invoice_id,
       p.applied_invoice_source_ids, p.txn_date, p.currency, p.total_amount, p.unapplied_amount, p.source_updated_at,
       p.deleted_at, %(now)s,
       CASE WHEN h.version IS NULL THEN 'created'
            WHEN h.deleted_at IS NULL AND p.deleted_at IS NOT NULL THEN 'deleted'
            WHEN h.deleted_at IS NOT NULL AND p.deleted_at IS NULL THEN 'revived'
            ELSE 'updated' END,
       %(sync_log_id)s
FROM payments p
LEFT JOIN payment_versions h ON h.company_id = p.company_id AND h.payment_id = p.id
     AND h.version = (SELECT MAX(m.version) FROM payment_versions m
                      WHERE m.company_id = p.company_id AND m.payment_id = p.id)
WHERE p.company_id = %(company_id)s AND p.updated_at = %(now)s;

DELETE c FROM history_payments c
JOIN payment_versions h ON h.company_id = c.company_id AND h.payment_id = c.payment_id AND h.version = c.version - 1
WHERE h.business_hash = c.business_hash
