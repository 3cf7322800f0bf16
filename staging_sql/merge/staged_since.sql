-- Has {table} (a staging table from the code's merge declarations) rows staged since the merge's watermark?
SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = %(company_id)s AND sync_log_id >= %(since)s)
