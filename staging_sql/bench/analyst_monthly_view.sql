-- The same question through the analysts' monthly view. {source} is `v_project_hours_monthly` of DB_NAME or of
-- the analyst schema (quoted by the code).
SELECT project_id, month, hours, billable_hours FROM {source} WHERE company_id = %s
