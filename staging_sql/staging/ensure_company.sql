INSERT INTO companies (company_key, name)
SELECT v.company_key, v.name FROM (SELECT %s AS company_key, %s AS name) v
ON DUPLICATE KEY UPDATE name = v.name, id = LAST_INSERT_ID(companies.id)
