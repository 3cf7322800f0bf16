-- The typical analyst question: hours per project and month of one company. {source} is the base table or
-- the analyst schema's filtered view of it (quoted by the code).
SELECT project_id, DATE_FORMAT(spent_date, '%%Y-%%m') AS month, SUM(hours) AS hours,
       SUM(CASE WHEN is_billable = 1 THEN hours ELSE 0 END) AS billable_hours
FROM {source}
WHERE company_id = %s AND deleted_at IS NULL
GROUP BY project_id, DATE_FORMAT(spent_date, '%%Y-%%m')
