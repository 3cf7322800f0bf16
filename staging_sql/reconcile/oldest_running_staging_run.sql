-- The oldest staging run of the company still running (the reconcile's own rows aside): rows it stages may not
-- be visible yet. A locking read, so it waits for a run whose sync_logs row is inserted but not yet committed:
-- a snapshot would miss that run although its id is already taken. Run in a transaction of its own.
SELECT MIN(id) AS id FROM sync_logs
WHERE company_id = %(company_id)s AND status = 'running' AND system_name <> %(system)s
LOCK IN SHARE MODE
