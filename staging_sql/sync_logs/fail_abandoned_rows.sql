-- Rows of one company × system × stream still pending or running when a new run of it starts. Runs start
-- holding the stream's named lock, which a run keeps until it closes its row: a row still open now was left
-- by a process that ended without closing it (killed, crashed) — with or without a Dagster daemon to notice.
UPDATE sync_logs
SET status = 'failed', completed_at = UTC_TIMESTAMP(6), error_message = %(reason)s
WHERE company_id <=> %(company_id)s AND system_name = %(system_name)s AND stream = %(stream)s
  AND status IN ('pending', 'running')
