-- The moment before which a staged row counts as stale (KnownRows), on the server's clock, read once:
-- comparing staged_at with a constant costs less per row than NOW(6) - INTERVAL … does.
SELECT NOW(6) - INTERVAL %(refresh_seconds)s SECOND
