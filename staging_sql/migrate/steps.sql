SELECT version, direction, step, statement_sha256 FROM schema_migration_steps ORDER BY version, direction, step
