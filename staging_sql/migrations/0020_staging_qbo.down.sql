-- Undoes 0020: drops the QuickBooks Online staging tables and oauth_tokens.invalid_at. Staged rows are not
-- restored (the next QBO sync stages them again); which refresh tokens were marked invalid is lost, so the
-- next run asks Intuit again. MySQL 8 has no DROP COLUMN IF EXISTS: a re-run after this statement completed
-- skips it through schema_migration_steps.
DROP TABLE IF EXISTS staging_qbo_time_activities;

DROP TABLE IF EXISTS staging_qbo_payments;

DROP TABLE IF EXISTS staging_qbo_invoices;

DROP TABLE IF EXISTS staging_qbo_departments;

DROP TABLE IF EXISTS staging_qbo_classes;

DROP TABLE IF EXISTS staging_qbo_items;

DROP TABLE IF EXISTS staging_qbo_vendors;

DROP TABLE IF EXISTS staging_qbo_employees;

DROP TABLE IF EXISTS staging_qbo_customers;

ALTER TABLE oauth_tokens DROP COLUMN invalid_at;
