SELECT COUNT(*) FROM staging_forecast_assignments WHERE company_id = %(company_id)s
