-- The invoices this run wrote (updated_at = now, through ix_invoices_updated), each as the version it would
-- append (latest version + 1, or 1), in a temporary table shaped like invoice_versions; then those whose
-- business_hash equals their latest version's are dropped. Invoices are few: new and changed rows take one path.
DROP TEMPORARY TABLE IF EXISTS history_invoices;

CREATE TEMPORARY TABLE history_invoices LIKE invoice_versions;

INSERT INTO history_invoices (company_id, invoice_id, version, source_system, source_id, client_id, project_id,
                              doc_number, txn_date, due_date, currency, total_amount, balance, total_tax,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT i.company_id, i.id, COALESCE(h.version, 0) + 1, i.source_system, i.source_id, i.client_id, i.project_id,
       i.doc_number, i.txn_date, i.due_date, i.currency, i.total_amount, i.balance, i.total_tax, i.source_updated_at,
       i.deleted_at, %(now)s,
       CASE WHEN h.version IS NULL THEN 'created'
            WHEN h.deleted_at IS NULL AND i.deleted_at IS NOT NULL THEN 'deleted'
            WHEN h.deleted_at IS NOT NULL AND i.deleted_at IS NULL THEN 'revived'
            ELSE 'updated' END,
       %(sync_log_id)s
FROM invoices i
LEFT JOIN invoice_versions h ON h.company_id = i.company_id AND h.invoice_id = i.id
     AND h.version = (SELECT MAX(m.version) FROM invoice_versions m
                      WHERE m.company_id = i.company_id AND m.invoice_id = i.id)
WHERE i.company_id = %(company_id)s AND i.updated_at = %(now)s;

DELETE c FROM history_invoices c
JOIN invoice_versions h ON h.company_id = c.company_id AND h.invoice_id = c.invoice_id AND h.version = c.version - 1
WHERE h.business_hash = c.business_hash
