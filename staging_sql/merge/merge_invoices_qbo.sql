-- QBO invoices (QBO owns money): the client through the customer link, the project through the ProjectRef's
-- job link. One level, hash-only, never older over newer; the hash is spelled out twice.
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
WHERE q.company_id = %(company_id)s AND (%(full)s = 1 OR q.sync_log_id >= %(since)s)
  AND (t.id IS NULL
       OR (t.row_hash <> UNHEX(MD5(CONCAT_WS('|', HEX(q.row_hash), IFNULL(cl.entity_id, '~'),
                 IFNULL(jl.entity_id, '~'), IFNULL(q.deleted_at, '~'))))
           AND (t.source_updated_at IS NULL OR q.source_updated_at IS NULL
                OR q.source_updated_at >= t.source_updated_at)))
ON DUPLICATE KEY UPDATE
  invoices.updated_at = IF(invoices.row_hash <=> VALUES(row_hash), invoices.updated_at, %(now)s),
  invoices.client_id = VALUES(client_id),
  invoices.project_id = VALUES(project_id),
  invoices.doc_number = VALUES(doc_number),
  invoices.txn_date = VALUES(txn_date),
  invoices.due_date = VALUES(due_date),
  invoices.currency = VALUES(currency),
  invoices.total_amount = VALUES(total_amount),
  invoices.balance = VALUES(balance),
  invoices.total_tax = VALUES(total_tax),
  invoices.source_updated_at = VALUES(source_updated_at),
  invoices.deleted_at = VALUES(deleted_at),
  invoices.row_hash = VALUES(row_hash)
