SELECT (SELECT COUNT(*) FROM staging_harvest_roles WHERE company_id = %(company_id)s)
     + (SELECT COUNT(*) FROM staging_forecast_roles WHERE company_id = %(company_id)s)
