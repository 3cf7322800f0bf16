-- Appends the new versions invoices_candidates.sql kept, then drops its temporary table.
INSERT INTO invoice_versions (company_id, invoice_id, version, source_system, source_id, client_id, project_id,
                              doc_number, txn_date, due_date, currency, total_amount, balance, total_tax,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT company_id, invoice_id, version, source_system, source_id, client_id, project_id, doc_number, txn_date,
       due_date, currency, total_amount, balance, total_tax, source_updated_at, deleted_at, valid_from, change_kind,
       sync_log_id
FROM history_invoices;

DROP TEMPORARY TABLE history_invoices
