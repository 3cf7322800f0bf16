-- Incremental (full = 0): the staged QBO invoices not staged since the watermark whose customer's client link or
-- job's project link changed in this run, in merge_qbo_invoices_scope for the second statement of
-- merge_invoices_qbo.sql. An empty changed set reads nothing, else one pass over the company's staged invoices.
DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_scope;

CREATE TEMPORARY TABLE merge_qbo_invoices_scope (
  qbo_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_changed_customers;

CREATE TEMPORARY TABLE merge_qbo_invoices_changed_customers (
  source_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY
) ENGINE=MEMORY;

INSERT INTO merge_qbo_invoices_changed_customers (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'client' AND `system` = 'qbo'
  AND source_type = 'customer' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_invoices_scope (qbo_id)
SELECT q.qbo_id FROM staging_qbo_invoices q
WHERE q.company_id = %(company_id)s AND q.sync_log_id < %(since)s
  AND q.customer_id IN (SELECT source_id FROM merge_qbo_invoices_changed_customers);

DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_changed_jobs;

CREATE TEMPORARY TABLE merge_qbo_invoices_changed_jobs LIKE merge_qbo_invoices_changed_customers;

INSERT INTO merge_qbo_invoices_changed_jobs (source_id)
SELECT source_id FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'project' AND `system` = 'qbo'
  AND source_type = 'job' AND updated_at = %(now)s;

INSERT IGNORE INTO merge_qbo_invoices_scope (qbo_id)
SELECT q.qbo_id FROM staging_qbo_invoices q
WHERE q.company_id = %(company_id)s AND q.sync_log_id < %(since)s
  AND q.project_id IN (SELECT source_id FROM merge_qbo_invoices_changed_jobs)
