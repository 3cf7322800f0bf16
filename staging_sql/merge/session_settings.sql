-- CAST(… AS CHAR) takes the connection collation; match the tables' so UNIONs and joins agree.
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
