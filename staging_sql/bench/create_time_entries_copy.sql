-- The physical limit's table: same columns and indexes as time_entries (LIKE copies no foreign keys).
DROP TABLE IF EXISTS time_entries_load;
CREATE TABLE time_entries_load LIKE time_entries;
