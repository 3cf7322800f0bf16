SELECT COUNT(*) FROM staging_harvest_invoices WHERE company_id = %(company_id)s
