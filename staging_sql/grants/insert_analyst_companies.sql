INSERT INTO analyst_companies (analyst_user, company_id)
SELECT %(user)s, c.id FROM companies c WHERE c.id IN %(company_ids)s
