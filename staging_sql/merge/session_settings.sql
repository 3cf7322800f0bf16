-- CAST(… AS CHAR) takes the connection collation; match the tables' so UNIONs and joins agree.
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
-- MariaDB 10.11 merges the derived tables of INSERT … SELECT … LEFT JOIN <target> … ON DUPLICATE KEY
-- UPDATE into one join and then skips rows it should update (10 changed rows: "Records: 4"). Materialized
-- derived tables give the right answer; MySQL 8 knows the same switch.
SET SESSION optimizer_switch = 'derived_merge=off';
