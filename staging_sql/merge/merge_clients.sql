-- Clients from their linked records: name, currency and activity owned by Harvest, then Forecast, then QBO.
--  Only new rows and rows whose hash changed (and are not older) are written.
INSERT INTO clients (id, company_id, name, currency, is_active, harvest_client_id, forecast_client_id,
                     qbo_customer_id, source_updated_at, deleted_at, row_hash, created_at, updated_at)
SELECT s.id, s.company_id, s.name, s.currency, s.is_active, s.harvest_client_id, s.forecast_client_id,
       s.qbo_customer_id, s.source_updated_at, s.deleted_at, s.row_hash, %(now)s, %(now)s
FROM (
  SELECT v.*, UNHEX(MD5(CONCAT_WS('|', v.name, IFNULL(v.currency, '~'), v.is_active,
         IFNULL(v.harvest_client_id, '~'), IFNULL(v.forecast_client_id, '~'), IFNULL(v.qbo_customer_id, '~'),
         IFNULL(v.deleted_at, '~')))) AS row_hash
  FROM (
    SELECT e.entity_id AS id, e.company_id,
           COALESCE(h.name, f.name, q.display_name, q.company_name, '') AS name,
           COALESCE(h.currency, q.currency) AS currency,
           COALESCE(h.is_active, NOT f.archived, q.active, 1) AS is_active,
           h.id AS harvest_client_id, f.id AS forecast_client_id, q.qbo_id AS qbo_customer_id,
           NULLIF(GREATEST(COALESCE(h.source_updated_at, '1970-01-01'), COALESCE(f.source_updated_at, '1970-01-01'),
                           COALESCE(q.source_updated_at, '1970-01-01')), '1970-01-01') AS source_updated_at,
           IF((h.id IS NOT NULL AND h.deleted_at IS NULL) OR (f.id IS NOT NULL AND f.deleted_at IS NULL)
              OR (q.qbo_id IS NOT NULL AND q.deleted_at IS NULL), NULL,
              GREATEST(COALESCE(h.deleted_at, '1970-01-01'), COALESCE(f.deleted_at, '1970-01-01'),
                       COALESCE(q.deleted_at, '1970-01-01'))) AS deleted_at
    FROM (SELECT DISTINCT company_id, entity_id FROM source_links
          WHERE company_id = %(company_id)s AND entity_type = 'client' AND deleted_at IS NULL) e
    LEFT JOIN source_links hl ON hl.company_id = e.company_id AND hl.entity_type = 'client'
         AND hl.entity_id = e.entity_id AND hl.`system` = 'harvest' AND hl.is_primary = 1 AND hl.deleted_at IS NULL
    LEFT JOIN staging_harvest_clients h ON h.company_id = hl.company_id AND h.id = CAST(hl.source_id AS SIGNED)
    LEFT JOIN source_links fl ON fl.company_id = e.company_id AND fl.entity_type = 'client'
         AND fl.entity_id = e.entity_id AND fl.`system` = 'forecast' AND fl.is_primary = 1 AND fl.deleted_at IS NULL
    LEFT JOIN staging_forecast_clients f ON f.company_id = fl.company_id AND f.id = CAST(fl.source_id AS SIGNED)
    LEFT JOIN source_links ql ON ql.company_id = e.company_id AND ql.entity_type = 'client'
         AND ql.entity_id = e.entity_id AND ql.`system` = 'qbo' AND ql.is_primary = 1 AND ql.deleted_at IS NULL
    LEFT JOIN staging_qbo_customers q ON q.company_id = ql.company_id AND q.qbo_id = ql.source_id
  ) v
) s
LEFT JOIN clients t ON t.id = s.id
WHERE t.id IS NULL
   OR (t.row_hash <> s.row_hash
       AND (t.source_updated_at IS NULL OR s.source_updated_at IS NULL OR s.source_updated_at >= t.source_updated_at))
ON DUPLICATE KEY UPDATE
  clients.updated_at = IF(clients.row_hash <=> s.row_hash, clients.updated_at, %(now)s),
  clients.name = s.name,
  clients.currency = s.currency,
  clients.is_active = s.is_active,
  clients.harvest_client_id = s.harvest_client_id,
  clients.forecast_client_id = s.forecast_client_id,
  clients.qbo_customer_id = s.qbo_customer_id,
  clients.source_updated_at = s.source_updated_at,
  clients.deleted_at = s.deleted_at,
  clients.row_hash = s.row_hash
