-- Appends the new versions payments_candidates.sql kept, then drops its temporary table.
INSERT INTO payment_versions (company_id, payment_id, version, source_system, source_id, client_id, invoice_id,
                              applied_invoice_source_ids, txn_date, currency, total_amount, unapplied_amount,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT company_id, payment_id, version, source_system, source_id, client_id, invoice_id, applied_invoice_source_ids,
       txn_date, currency, total_amount, unapplied_amount, source_updated_at, deleted_at, valid_from, change_kind,
       sync_log_id
FROM history_payments;

DROP TEMPORARY TABLE history_payments
