SELECT table_name AS name
FROM information_schema.columns
WHERE table_schema = DATABASE() AND table_name LIKE 'staging\_%%' AND column_name = 'staged_at'
ORDER BY table_name
