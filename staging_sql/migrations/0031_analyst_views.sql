-- Analyst views over the normalized tables. Soft-deleted rows never appear; a Jira worklog that copies
-- a Harvest entry (duplicate_of_id set) is left out so every piece of work counts once.

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_time_entries AS
SELECT t.id, t.company_id, t.source_system, t.source_id, t.spent_date, t.hours, t.is_billable, t.is_invoiced,
       t.billable_rate, t.cost_rate, CAST(t.hours * t.billable_rate AS DECIMAL(14,2)) AS billable_amount,
       CAST(t.hours * t.cost_rate AS DECIMAL(14,2)) AS cost_amount, t.is_running, t.task_name, t.notes,
       t.jira_issue_source_id, t.team_member_id, m.display_name AS team_member_name, m.email AS team_member_email,
       t.project_id, p.name AS project_name, p.code AS project_code, t.client_id, c.name AS client_name,
       t.service_line_id, sl.name AS service_line_name, t.source_updated_at, t.updated_at
FROM time_entries t
LEFT JOIN team_members m ON m.id = t.team_member_id
LEFT JOIN projects p ON p.id = t.project_id
LEFT JOIN clients c ON c.id = t.client_id
LEFT JOIN service_lines sl ON sl.id = t.service_line_id
WHERE t.deleted_at IS NULL AND t.duplicate_of_id IS NULL;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_project_hours_monthly AS
SELECT company_id, project_id, MAX(project_name) AS project_name, MAX(client_name) AS client_name,
       DATE_FORMAT(spent_date, '%Y-%m') AS month, SUM(hours) AS hours,
       SUM(CASE WHEN is_billable = 1 THEN hours ELSE 0 END) AS billable_hours,
       SUM(CASE WHEN source_system = 'harvest' THEN hours ELSE 0 END) AS harvest_hours,
       SUM(CASE WHEN source_system = 'jira' THEN hours ELSE 0 END) AS jira_only_hours,
       SUM(CASE WHEN source_system = 'qbo' THEN hours ELSE 0 END) AS qbo_hours
FROM v_time_entries
GROUP BY company_id, project_id, DATE_FORMAT(spent_date, '%Y-%m');

-- Planned seconds per person and Monday-based week: allocation per day × the weekdays (Mon–Fri) of
-- the assignment that fall in the week; time off is counted apart.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_weekly_plan AS
WITH RECURSIVE weeks (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM weeks WHERE n < 520),
spans AS (
  SELECT a.company_id, a.team_member_id, a.project_id, a.starts_on, a.ends_on, a.allocation_seconds_per_day,
         a.is_time_off, DATE_SUB(a.starts_on, INTERVAL WEEKDAY(a.starts_on) DAY) AS first_week
  FROM project_assignments a
  WHERE a.deleted_at IS NULL AND a.team_member_id IS NOT NULL
),
by_week AS (
  SELECT s.company_id, s.team_member_id, s.allocation_seconds_per_day, s.is_time_off,
         DATE_ADD(s.first_week, INTERVAL 7 * w.n DAY) AS week_start,
         GREATEST(0, DATEDIFF(LEAST(s.ends_on, DATE_ADD(s.first_week, INTERVAL 7 * w.n + 4 DAY)),
                              GREATEST(s.starts_on, DATE_ADD(s.first_week, INTERVAL 7 * w.n DAY))) + 1) AS weekdays
  FROM spans s
  JOIN weeks w ON DATE_ADD(s.first_week, INTERVAL 7 * w.n DAY) <= s.ends_on
)
SELECT company_id, team_member_id, week_start,
       SUM(CASE WHEN is_time_off = 0 THEN COALESCE(allocation_seconds_per_day, 0) * weekdays ELSE 0 END)
         AS planned_seconds,
       SUM(CASE WHEN is_time_off = 1 THEN weekdays ELSE 0 END) AS time_off_days
FROM by_week
WHERE weekdays > 0
GROUP BY company_id, team_member_id, week_start;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_weekly_utilization AS
WITH actual AS (
  SELECT company_id, team_member_id, DATE_SUB(spent_date, INTERVAL WEEKDAY(spent_date) DAY) AS week_start,
         SUM(hours) AS actual_hours, SUM(CASE WHEN is_billable = 1 THEN hours ELSE 0 END) AS billable_hours
  FROM v_time_entries
  WHERE team_member_id IS NOT NULL
  GROUP BY company_id, team_member_id, DATE_SUB(spent_date, INTERVAL WEEKDAY(spent_date) DAY)
),
keys_ AS (
  SELECT company_id, team_member_id, week_start FROM actual
  UNION
  SELECT company_id, team_member_id, week_start FROM v_weekly_plan
)
SELECT k.company_id, k.team_member_id, m.display_name AS team_member_name, k.week_start,
       COALESCE(a.actual_hours, 0) AS actual_hours, COALESCE(a.billable_hours, 0) AS billable_hours,
       CAST(m.weekly_capacity_seconds / 3600 AS DECIMAL(10,4)) AS capacity_hours,
       CAST(COALESCE(p.planned_seconds, 0) / 3600 AS DECIMAL(10,4)) AS planned_hours,
       COALESCE(p.time_off_days, 0) AS time_off_days,
       CAST(COALESCE(a.actual_hours, 0) / NULLIF(m.weekly_capacity_seconds / 3600, 0) AS DECIMAL(8,4))
         AS utilization,
       CAST(COALESCE(a.billable_hours, 0) / NULLIF(m.weekly_capacity_seconds / 3600, 0) AS DECIMAL(8,4))
         AS billable_utilization
FROM keys_ k
JOIN team_members m ON m.id = k.team_member_id AND m.deleted_at IS NULL
LEFT JOIN actual a ON a.company_id = k.company_id AND a.team_member_id = k.team_member_id
     AND a.week_start = k.week_start
LEFT JOIN v_weekly_plan p ON p.company_id = k.company_id AND p.team_member_id = k.team_member_id
     AND p.week_start = k.week_start;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_project_budget_burn AS
SELECT p.company_id, p.id AS project_id, p.name AS project_name, p.code AS project_code, p.client_id,
       c.name AS client_name, p.is_active, p.budget_by, p.budget_hours, p.budget_amount, p.fee,
       COALESCE(SUM(t.hours), 0) AS hours_used, COALESCE(SUM(CASE WHEN t.is_billable = 1 THEN t.hours END), 0)
         AS billable_hours_used,
       COALESCE(SUM(CASE WHEN t.is_billable = 1 THEN t.billable_amount END), 0) AS billable_amount_used,
       COALESCE(SUM(t.cost_amount), 0) AS cost_amount_used,
       CAST(COALESCE(SUM(t.hours), 0) / NULLIF(p.budget_hours, 0) AS DECIMAL(10,4)) AS hours_burn,
       CAST(COALESCE(SUM(t.cost_amount), 0) / NULLIF(p.budget_amount, 0) AS DECIMAL(10,4)) AS cost_burn,
       CAST(COALESCE(SUM(CASE WHEN t.is_billable = 1 THEN t.billable_amount END), 0) / NULLIF(p.fee, 0)
            AS DECIMAL(10,4)) AS fee_burn,
       MIN(t.spent_date) AS first_spent_date, MAX(t.spent_date) AS last_spent_date
FROM projects p
LEFT JOIN clients c ON c.id = p.client_id
LEFT JOIN v_time_entries t ON t.project_id = p.id
WHERE p.deleted_at IS NULL
GROUP BY p.company_id, p.id, p.name, p.code, p.client_id, c.name, p.is_active, p.budget_by, p.budget_hours,
         p.budget_amount, p.fee;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_uninvoiced_billable_time AS
SELECT id, company_id, source_system, source_id, spent_date, hours, billable_rate, billable_amount,
       team_member_id, team_member_name, project_id, project_name, project_code, client_id, client_name,
       service_line_id, service_line_name, notes
FROM v_time_entries
WHERE is_billable = 1 AND is_invoiced = 0 AND is_running = 0;
