-- Did this run write {table} (from the code's merge declarations)? Every row it wrote has updated_at = now.
SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = %(company_id)s AND updated_at = %(now)s)
