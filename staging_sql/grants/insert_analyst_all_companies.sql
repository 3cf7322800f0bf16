INSERT INTO analyst_companies (analyst_user, company_id)
SELECT %(user)s, c.id FROM companies c
