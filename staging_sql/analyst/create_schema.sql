-- {analyst} comes from DB_NAME (quoted by resources/sql.py quote_identifier).
CREATE DATABASE IF NOT EXISTS {analyst} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
