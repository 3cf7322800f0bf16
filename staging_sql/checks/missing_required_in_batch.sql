SELECT COUNT(*) AS missing
FROM {table}
WHERE company_id = %s AND sync_log_id = %s AND ({required_is_null})
