SELECT COUNT(*) FROM staging_qbo_invoices WHERE company_id = %(company_id)s
