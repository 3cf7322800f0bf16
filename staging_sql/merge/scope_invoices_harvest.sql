-- Incremental (full = 0): the staged Harvest invoices not staged since the watermark whose client's link changed
-- in this run, in merge_harvest_invoices_scope for the second statement of merge_invoices_harvest.sql. An empty
-- changed set reads nothing, else one pass over the company's staged invoices.
DROP TEMPORARY TABLE IF EXISTS merge_harvest_invoices_scope;

CREATE TEMPORARY TABLE merge_harvest_invoices_scope (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;

DROP TEMPORARY TABLE IF EXISTS merge_harvest_invoices_changed_clients;

CREATE TEMPORARY TABLE merge_harvest_invoices_changed_clients (client_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY;

INSERT INTO merge_harvest_invoices_changed_clients (client_id)
SELECT CAST(source_id AS SIGNED) FROM source_links
WHERE company_id = %(company_id)s AND %(full)s = 0 AND entity_type = 'client' AND `system` = 'harvest'
  AND source_type = 'client' AND updated_at = %(now)s AND source_id REGEXP '^(0|-?[1-9][0-9]{0,17})$';

INSERT IGNORE INTO merge_harvest_invoices_scope (id)
SELECT h.id FROM staging_harvest_invoices h
WHERE h.company_id = %(company_id)s AND h.sync_log_id < %(since)s
  AND h.client_id IN (SELECT client_id FROM merge_harvest_invoices_changed_clients)
