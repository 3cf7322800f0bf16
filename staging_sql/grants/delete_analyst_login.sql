-- analyst_companies rows go with it (ON DELETE CASCADE).
DELETE FROM analyst_logins WHERE analyst_user = %(user)s
