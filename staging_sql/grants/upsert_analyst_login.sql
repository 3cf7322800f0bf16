INSERT INTO analyst_logins (analyst_user, all_companies) VALUES (%(user)s, %(all_companies)s)
ON DUPLICATE KEY UPDATE all_companies = %(all_companies)s
