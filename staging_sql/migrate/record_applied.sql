INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (%s, %s, %s, %s)
