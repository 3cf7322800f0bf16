SELECT @@GLOBAL.innodb_buffer_pool_size AS innodb_buffer_pool_size,
       @@GLOBAL.innodb_log_file_size AS innodb_log_file_size
