SELECT @@global.innodb_max_dirty_pages_pct AS pct
