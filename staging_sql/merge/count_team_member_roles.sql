SELECT (SELECT COUNT(*) FROM staging_harvest_users hu
        JOIN JSON_TABLE(hu.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j WHERE hu.company_id = %(company_id)s)
     + (SELECT COUNT(*) FROM staging_forecast_people fp
        JOIN JSON_TABLE(fp.roles, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) j WHERE fp.company_id = %(company_id)s)
