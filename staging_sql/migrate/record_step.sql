-- A statement re-run after its text changed replaces the row recorded for its number.
REPLACE INTO schema_migration_steps (version, direction, step, statement_sha256) VALUES (%s, %s, %s, %s)
