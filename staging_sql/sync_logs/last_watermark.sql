SELECT watermark_to
FROM sync_logs
WHERE company_id = %s AND system_name = %s AND stream = %s
  AND status = 'completed' AND watermark_to IS NOT NULL
ORDER BY watermark_to DESC
LIMIT 1
