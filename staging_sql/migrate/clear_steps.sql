-- Both directions: once a migration is recorded as applied (or removed), no earlier partial run of it matters.
DELETE FROM schema_migration_steps WHERE version = %s
