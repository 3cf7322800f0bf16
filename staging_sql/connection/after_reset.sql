-- COM_RESET_CONNECTION puts every session variable back to the server's defaults, SET NAMES and autocommit
-- included: a reused connection gets what a new one starts with. {charset} and {autocommit} come from the
-- connection's own settings.
SET NAMES {charset}, time_zone = '+00:00', autocommit = {autocommit}
