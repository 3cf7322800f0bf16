-- Open connections of one login: DROP USER leaves them connected, so revoke ends them itself.
SELECT id FROM information_schema.processlist WHERE user = %s
