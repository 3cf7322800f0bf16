-- Which of the two bookkeeping tables exist (a database migrated before steps were recorded lacks the second).
SELECT table_name FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_name IN ('schema_migrations', 'schema_migration_steps')
