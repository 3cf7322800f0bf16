-- How many time entry versions the history holds for the bench company (0 in the run without history).
SELECT COUNT(*) AS n FROM time_entry_versions WHERE company_id = %s
