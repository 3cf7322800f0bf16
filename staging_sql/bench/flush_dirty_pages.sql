-- %(pct)s: innodb_max_dirty_pages_pct; 0 makes the server write back every dirty page now (restored after).
SET GLOBAL innodb_max_dirty_pages_pct = %(pct)s
