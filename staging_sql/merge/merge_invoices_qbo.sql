-- QBO invoices (QBO owns money): the client through the customer link, the project through the ProjectRef's
-- job link. As merge_time_entries_harvest.sql: stored rows whose hash differs are updated in place (never by an
-- older staged version), then new invoices inserted; the first update reads the invoices staged since (full:
-- all), the second merge_qbo_invoices_scope (scope_invoices_qbo.sql: invoices whose customer or job link changed
-- in this run; empty when full). One level, so the hash is spelled out in each place.
UPDATE staging_qbo_invoices q
JOIN invoices t ON t.company_id = q.company_id AND t.source_system = 'qbo' AND t.source_id = q.qbo_id
LEFT JOIN source_links cl ON cl.company_id = q.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = q.customer_id
LEFT JOIN source_links jl ON jl.company_id = q.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'qbo' AND jl.source_type = 'job' AND jl.source_id = q.project_id
SET t.client_id = cl.entity_id,
    t.project_id = jl.entity_id,
    t.doc_number = q.doc_number,
    t.txn_date = q.txn_date,
    t.due_date = q.due_date,
    t.currency = q.currency,
    t.total_amount = q.total_amt,
    t.balance = q.balance,
    t.total_tax = q.total_tax,
    t.source_updated_at = q.source_updated_at,
    t.deleted_at = q.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(jl.entity_id, '~'),
                 IFNULL(q.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s)
  AND t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(jl.entity_id, '~'),
                 IFNULL(q.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR q.source_updated_at IS NULL OR q.source_updated_at >= t.source_updated_at);

UPDATE merge_qbo_invoices_scope s
JOIN staging_qbo_invoices q ON q.company_id = %(company_id)s AND q.qbo_id = s.qbo_id
JOIN invoices t ON t.company_id = q.company_id AND t.source_system = 'qbo' AND t.source_id = q.qbo_id
LEFT JOIN source_links cl ON cl.company_id = q.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = q.customer_id
LEFT JOIN source_links jl ON jl.company_id = q.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'qbo' AND jl.source_type = 'job' AND jl.source_id = q.project_id
SET t.client_id = cl.entity_id,
    t.project_id = jl.entity_id,
    t.doc_number = q.doc_number,
    t.txn_date = q.txn_date,
    t.due_date = q.due_date,
    t.currency = q.currency,
    t.total_amount = q.total_amt,
    t.balance = q.balance,
    t.total_tax = q.total_tax,
    t.source_updated_at = q.source_updated_at,
    t.deleted_at = q.deleted_at,
    t.row_hash = UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(jl.entity_id, '~'),
                 IFNULL(q.deleted_at, '~')))),
    t.updated_at = %(now)s
WHERE t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(jl.entity_id, '~'),
                 IFNULL(q.deleted_at, '~'))))
  AND (t.source_updated_at IS NULL OR q.source_updated_at IS NULL OR q.source_updated_at >= t.source_updated_at);

INSERT INTO invoices (company_id, source_system, source_id, client_id, project_id, doc_number, txn_date, due_date,
                      currency, total_amount, balance, total_tax, source_updated_at, deleted_at, row_hash,
                      created_at, updated_at)
SELECT q.company_id, 'qbo', q.qbo_id, cl.entity_id, jl.entity_id, q.doc_number, q.txn_date, q.due_date, q.currency,
       q.total_amt, q.balance, q.total_tax, q.source_updated_at, q.deleted_at,
       UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'), IFNULL(jl.entity_id, '~'),
                 IFNULL(q.deleted_at, '~')))),
       %(now)s, %(now)s
FROM staging_qbo_invoices q
LEFT JOIN source_links cl ON cl.company_id = q.company_id AND cl.entity_type = 'client'
     AND cl.`system` = 'qbo' AND cl.source_type = 'customer' AND cl.source_id = q.customer_id
LEFT JOIN source_links jl ON jl.company_id = q.company_id AND jl.entity_type = 'project'
     AND jl.`system` = 'qbo' AND jl.source_type = 'job' AND jl.source_id = q.project_id
LEFT JOIN invoices t ON t.company_id = q.company_id AND t.source_system = 'qbo' AND t.source_id = q.qbo_id
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s) AND t.id IS NULL
