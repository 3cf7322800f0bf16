-- Both are dynamic on MariaDB 10.11 (the redo log since 10.9) and MySQL 8.0.
SET GLOBAL innodb_buffer_pool_size = %(innodb_buffer_pool_size)s,
    GLOBAL innodb_log_file_size = %(innodb_log_file_size)s
