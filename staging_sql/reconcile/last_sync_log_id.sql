-- The company's newest sync_logs id (the reconcile's own rows included, so never NULL during a reconcile).
SELECT MAX(id) AS id FROM sync_logs WHERE company_id = %(company_id)s
