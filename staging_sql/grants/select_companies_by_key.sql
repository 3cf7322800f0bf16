SELECT id, company_key, name FROM companies WHERE company_key IN %(keys)s
