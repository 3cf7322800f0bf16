SELECT COUNT(*) AS open_runs
FROM sync_logs
WHERE status IN ('pending', 'running') AND started_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY
