REPLACE INTO {table} ({columns}, row_hash) VALUES ({placeholders})
