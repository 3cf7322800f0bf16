SELECT co.company_key AS company, u.team_member_name AS person,
       ROUND(SUM(u.actual_hours), 1) AS actual_h, ROUND(SUM(u.capacity_hours), 1) AS capacity_h,
       ROUND(SUM(u.planned_hours), 1) AS planned_h,
       CONCAT(ROUND(100 * SUM(u.actual_hours) / NULLIF(SUM(u.capacity_hours), 0)), '%') AS utilization,
       CONCAT(ROUND(100 * SUM(u.billable_hours) / NULLIF(SUM(u.capacity_hours), 0)), '%') AS billable_util
FROM v_weekly_utilization u
JOIN companies co ON co.id = u.company_id
WHERE u.week_start >= DATE_SUB(DATE_SUB(UTC_DATE(), INTERVAL WEEKDAY(UTC_DATE()) DAY), INTERVAL 4 WEEK)
  AND u.week_start < DATE_SUB(UTC_DATE(), INTERVAL WEEKDAY(UTC_DATE()) DAY)
GROUP BY co.company_key, u.team_member_id, u.team_member_name
ORDER BY SUM(u.actual_hours) / NULLIF(SUM(u.capacity_hours), 0) DESC
LIMIT 12
