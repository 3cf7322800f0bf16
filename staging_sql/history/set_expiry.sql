-- Opens the versions tables' delete triggers for this session, for versions superseded before this moment.
SET @timesync_expire_versions_before = %(before)s
