-- {analyst} is `<DB_NAME>_analyst` (quoted by the code): SELECT on its filtered views, nothing on DB_NAME.
GRANT SELECT ON {analyst}.* TO %s@%s
