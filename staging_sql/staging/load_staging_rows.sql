-- The writer produces the file from Python str, so it is always valid UTF-8: `binary` (no conversion)
-- stores those bytes into the utf8mb4 columns as they are and spares the server about an eighth of its per-byte work.
LOAD DATA LOCAL INFILE %s
REPLACE INTO TABLE {table}
CHARACTER SET binary
FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
LINES TERMINATED BY '\n'
({columns}, @row_hash)
SET row_hash = UNHEX(@row_hash), deleted_at = NULL
