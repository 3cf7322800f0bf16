-- The rows whose {column} holds a value a down would drop ({table}, {column} quoted by quote_identifier).
SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL
