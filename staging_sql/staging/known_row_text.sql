k, CHAR(31 USING utf8mb4), h, CHAR(31 USING utf8mb4), s, CHAR(31 USING utf8mb4)
