SELECT team_member_id, team_member_name, spent_date, SUM(hours) AS hours
FROM v_time_entries
WHERE company_id = %s AND team_member_id IS NOT NULL
GROUP BY team_member_id, team_member_name, spent_date
HAVING SUM(hours) > %s
ORDER BY SUM(hours) DESC
LIMIT 20
