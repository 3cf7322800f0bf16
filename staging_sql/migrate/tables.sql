-- Tables and views of the migrated database, for the data-loss guard.
SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE()
