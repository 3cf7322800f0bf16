SELECT COUNT(*) FROM staging_qbo_classes WHERE company_id = %(company_id)s
