-- Incremental (full = 0): the staged payments not staged since the watermark whose customer's client link changed
-- in this run, or whose first invoice's row this run created (a payment can be staged before the invoice it
-- pays), in merge_qbo_payments_scope for the second statement of merge_payments_qbo.sql. An empty changed set
-- reads nothing, else one pass over the company's staged payments.
DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_scope;

CREATE TEMPORARY TABLE merge_qbo_payments_scope (
  qbo_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_changed_customers;

CREATE TEMPORARY TABLE merge_qbo_payments_changed_customers (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_qbo_payments_changed_customers (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'client' AND `system` = 'qbo'
  AND source_type = 'customer' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_payments_scope (qbo_id)
SELECT p.qbo_id FROM staging_qbo_payments p
WHERE p.company_id = %(company_id)s AND p.sync_log_id < %(since)s
  AND p.customer_id IN (SELECT source_id FROM merge_qbo_payments_changed_customers);

DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_new_invoices;

CREATE TEMPORARY TABLE merge_qbo_payments_new_invoices (
  source_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

-- Existing invoice rows keep their id whatever else changes: only a new row can re-point a payment.
INSERT INTO merge_qbo_payments_new_invoices (source_id)
SELECT source_id FROM invoices
WHERE company_id = %(company_id)s AND %(full)s = 0 AND updated_at = %(now)s AND created_at = %(now)s
  AND source_system = 'qbo';

INSERT IGNORE INTO merge_qbo_payments_scope (qbo_id)
SELECT p.qbo_id FROM staging_qbo_payments p
WHERE p.company_id = %(company_id)s AND p.sync_log_id < %(since)s
  AND SUBSTRING_INDEX(p.invoice_ids, ',', 1) IN (SELECT source_id FROM merge_qbo_payments_new_invoices)
