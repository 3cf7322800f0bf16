-- Undoes 0010: drops the Harvest staging tables. Staged rows are not restored; the next Harvest sync
-- after re-running 0010 stages them again from Harvest.
DROP TABLE IF EXISTS staging_harvest_expenses;

DROP TABLE IF EXISTS staging_harvest_invoices;

DROP TABLE IF EXISTS staging_harvest_time_entries;

DROP TABLE IF EXISTS staging_harvest_roles;

DROP TABLE IF EXISTS staging_harvest_user_assignments;

DROP TABLE IF EXISTS staging_harvest_task_assignments;

DROP TABLE IF EXISTS staging_harvest_tasks;

DROP TABLE IF EXISTS staging_harvest_projects;

DROP TABLE IF EXISTS staging_harvest_clients;

DROP TABLE IF EXISTS staging_harvest_users;
