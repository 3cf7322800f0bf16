SELECT COUNT(*) FROM staging_qbo_payments WHERE company_id = %(company_id)s
