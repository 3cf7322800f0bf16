-- Undoes 0031: drops the analyst views, each before the views it reads. Views hold no data.
DROP VIEW IF EXISTS v_uninvoiced_billable_time;

DROP VIEW IF EXISTS v_project_budget_burn;

DROP VIEW IF EXISTS v_weekly_utilization;

DROP VIEW IF EXISTS v_weekly_plan;

DROP VIEW IF EXISTS v_project_hours_monthly;

DROP VIEW IF EXISTS v_time_entries;
