-- Closes the versions tables' delete triggers again for this session.
SET @timesync_expire_versions_before = NULL
