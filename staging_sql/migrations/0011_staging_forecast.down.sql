-- Undoes 0011: drops the Forecast staging tables. Staged rows are not restored; the next Forecast sync
-- after re-running 0011 stages them again.
DROP TABLE IF EXISTS staging_forecast_assignments;

DROP TABLE IF EXISTS staging_forecast_milestones;

DROP TABLE IF EXISTS staging_forecast_roles;

DROP TABLE IF EXISTS staging_forecast_placeholders;

DROP TABLE IF EXISTS staging_forecast_clients;

DROP TABLE IF EXISTS staging_forecast_projects;

DROP TABLE IF EXISTS staging_forecast_people;
