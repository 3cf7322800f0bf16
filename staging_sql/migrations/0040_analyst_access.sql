-- Which companies each analyst login may read. Analysts read only `<DB_NAME>_analyst`: one SQL SECURITY
-- DEFINER view per published table and view (resources/analyst_schema.py makes them after every migrate),
-- each returning the rows of the companies listed here for the logged-in user. Analysts hold no privilege
-- on this database, so they can neither read nor change these tables.

-- One row per analyst login (the user part of the MySQL account: USER() is `user@client-host`).
CREATE TABLE IF NOT EXISTS analyst_logins (
  analyst_user VARCHAR(80) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  all_companies TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1: granted --all-companies, companies added later included',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (analyst_user)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Analyst logins of the analyst schema; written by timesync grant-analyst / revoke-analyst';

-- The filter every analyst view applies: (login, company) pairs. Binary user names: MySQL account names are
-- case-sensitive, so `Alice` must not read what `alice` was granted.
CREATE TABLE IF NOT EXISTS analyst_companies (
  analyst_user VARCHAR(80) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  company_id INT UNSIGNED NOT NULL,
  granted_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (analyst_user, company_id),
  KEY ix_analyst_companies_company (company_id),
  CONSTRAINT fk_analyst_companies_login FOREIGN KEY (analyst_user) REFERENCES analyst_logins (analyst_user)
    ON DELETE CASCADE,
  CONSTRAINT fk_analyst_companies_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='The companies each analyst login reads through the analyst schema';

-- A login granted --all-companies reads a company added later too; every other login does not until granted.
DROP TRIGGER IF EXISTS companies_reach_all_company_analysts;

CREATE TRIGGER companies_reach_all_company_analysts AFTER INSERT ON companies FOR EACH ROW
  INSERT INTO analyst_companies (analyst_user, company_id)
  SELECT l.analyst_user, NEW.id FROM analyst_logins l WHERE l.all_companies = 1;
