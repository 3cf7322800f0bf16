-- Undoes 0001: drops the tenants, the run log and its archive, quarantine and the OAuth token store.
-- Their rows are data no down can restore: companies, every sync_logs row and QBO's refresh tokens (a
-- re-connect is needed) are gone; re-running 0001 recreates the empty tables.
DROP TABLE IF EXISTS oauth_tokens;

DROP TABLE IF EXISTS staging_quarantine;

DROP TABLE IF EXISTS sync_logs_archive;

DROP TABLE IF EXISTS sync_logs;

DROP TABLE IF EXISTS companies;
