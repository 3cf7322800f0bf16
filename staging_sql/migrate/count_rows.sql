-- {table} is a table a down would drop (quoted by resources/sql.py quote_identifier).
SELECT COUNT(*) FROM {table}
