-- A re-grant replaces the set: what is not granted again is no longer readable.
DELETE FROM analyst_companies WHERE analyst_user = %(user)s
