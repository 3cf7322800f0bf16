-- Tables and views of one schema, each with whether it has the column that names its company.
SELECT t.table_name AS name, t.table_type AS kind,
       MAX(c.column_name = 'company_id') AS has_company_id
FROM information_schema.tables t
LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
WHERE t.table_schema = %s
GROUP BY t.table_name, t.table_type
