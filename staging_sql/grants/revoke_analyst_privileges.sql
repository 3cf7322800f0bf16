-- Start from nothing, so a re-grant removes whatever else the user was given.
REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s
