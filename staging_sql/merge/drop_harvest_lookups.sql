DROP TEMPORARY TABLE IF EXISTS merge_harvest_people;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_projects;
