-- How many versions expirable_versions.sql collected (they are numbered 1…n).
SELECT COALESCE(MAX(seq), 0) FROM history_expirable
