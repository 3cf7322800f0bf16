SELECT 'time_entries.team_member_id' AS reference, COUNT(*) AS orphans
FROM time_entries t JOIN team_members m ON m.company_id = t.company_id AND m.id = t.team_member_id
WHERE t.company_id = %s AND t.deleted_at IS NULL AND m.deleted_at IS NOT NULL
UNION ALL
SELECT 'time_entries.project_id', COUNT(*)
FROM time_entries t JOIN projects p ON p.company_id = t.company_id AND p.id = t.project_id
WHERE t.company_id = %s AND t.deleted_at IS NULL AND p.deleted_at IS NOT NULL
UNION ALL
SELECT 'projects.client_id', COUNT(*)
FROM projects p JOIN clients c ON c.company_id = p.company_id AND c.id = p.client_id
WHERE p.company_id = %s AND p.deleted_at IS NULL AND c.deleted_at IS NOT NULL
UNION ALL
SELECT 'project_assignments.project_id', COUNT(*)
FROM project_assignments a JOIN projects p ON p.company_id = a.company_id AND p.id = a.project_id
WHERE a.company_id = %s AND a.deleted_at IS NULL AND p.deleted_at IS NOT NULL
