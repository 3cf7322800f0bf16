-- {database} and {table} come from the code's own list of analyst tables and views.
GRANT SELECT ON {database}.{table} TO %s@%s
