-- Money is QBO's: a Harvest invoice with the number of a QBO invoice whose amounts or dates differ is a
-- conflict on the QBO invoice. Read from the merged invoices (same transaction, after the invoice merges).
SELECT 'invoice' AS entity_type, q.id AS entity_id, f.field_name, 'harvest' AS `system`, 'invoice' AS source_type,
       h.source_id, 'qbo' AS owning_system,
       CASE f.field_name WHEN 'total_amount' THEN CAST(q.total_amount AS CHAR)
                         WHEN 'balance' THEN CAST(q.balance AS CHAR)
                         WHEN 'txn_date' THEN CAST(q.txn_date AS CHAR)
                         ELSE CAST(q.due_date AS CHAR) END AS owning_value,
       CASE f.field_name WHEN 'total_amount' THEN CAST(h.total_amount AS CHAR)
                         WHEN 'balance' THEN CAST(h.balance AS CHAR)
                         WHEN 'txn_date' THEN CAST(h.txn_date AS CHAR)
                         ELSE CAST(h.due_date AS CHAR) END AS other_value
FROM invoices q
JOIN invoices h ON h.company_id = q.company_id AND h.source_system = 'harvest' AND h.doc_number = q.doc_number
     AND h.deleted_at IS NULL
JOIN (SELECT 'total_amount' AS field_name UNION ALL SELECT 'balance' UNION ALL SELECT 'txn_date'
      UNION ALL SELECT 'due_date') f
WHERE q.company_id = %(company_id)s AND q.source_system = 'qbo' AND q.deleted_at IS NULL
  AND NOT CASE f.field_name WHEN 'total_amount' THEN q.total_amount <=> h.total_amount
                            WHEN 'balance' THEN q.balance <=> h.balance
                            WHEN 'txn_date' THEN q.txn_date <=> h.txn_date
                            ELSE q.due_date <=> h.due_date END
