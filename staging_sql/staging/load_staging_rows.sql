LOAD DATA LOCAL INFILE %s
REPLACE INTO TABLE {table}
CHARACTER SET utf8mb4
FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
LINES TERMINATED BY '\n'
({columns}, @row_hash)
SET row_hash = UNHEX(@row_hash), deleted_at = NULL
