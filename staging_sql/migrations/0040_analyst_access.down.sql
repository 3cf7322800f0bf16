-- Drops the analyst mapping: every analyst login loses what it could read (the logins themselves stay
-- until `timesync revoke-analyst`); the grants are data a down cannot restore.
DROP TRIGGER IF EXISTS companies_reach_all_company_analysts;

DROP TABLE IF EXISTS analyst_companies;

DROP TABLE IF EXISTS analyst_logins;
