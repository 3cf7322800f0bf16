DROP TEMPORARY TABLE IF EXISTS merge_forecast_scope;
DROP TEMPORARY TABLE IF EXISTS merge_forecast_changed_projects;
DROP TEMPORARY TABLE IF EXISTS merge_forecast_changed_people;
