-- {name} is DB_NAME (quoted by resources/sql.py quote_identifier).
CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
