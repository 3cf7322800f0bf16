DROP VIEW IF EXISTS {analyst}.{name}
