DROP TEMPORARY TABLE IF EXISTS merge_harvest_people;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_projects;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_scope;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_users;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_projects;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_changed_tasks;
