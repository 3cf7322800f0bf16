SELECT co.company_key AS company, COALESCE(u.client_name, '(no client)') AS client,
       ROUND(SUM(u.hours), 1) AS unbilled_hours, ROUND(SUM(u.billable_amount), 2) AS unbilled_amount,
       MIN(u.spent_date) AS oldest
FROM v_uninvoiced_billable_time u
JOIN companies co ON co.id = u.company_id
GROUP BY co.company_key, u.client_name
ORDER BY SUM(u.billable_amount) DESC
LIMIT 10
