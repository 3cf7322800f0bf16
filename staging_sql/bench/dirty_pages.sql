-- Pages the server still has to write back (a dropped database's, a finished run's): a run started meanwhile
-- shares the disk with that flushing.
SELECT variable_value AS n FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_DIRTY'
