-- Drops the history of time and money: the versions tables (and with them their append-only triggers), the
-- views over them, the as-of function, the updated_at indexes 0041 added to invoices and payments and
-- time_entries.is_locked (a later up takes it again from the staged Harvest records). The
-- versions are data no down can restore: a later up starts each history again from the rows as they stand.
DROP VIEW IF EXISTS v_project_hours_monthly_as_of;

DROP VIEW IF EXISTS v_changed_after_invoiced;

DROP VIEW IF EXISTS v_payment_history;

DROP VIEW IF EXISTS v_invoice_history;

DROP VIEW IF EXISTS v_time_entry_history;

DROP FUNCTION IF EXISTS history_as_of;

DROP TRIGGER IF EXISTS payment_versions_no_delete;

DROP TRIGGER IF EXISTS payment_versions_no_update;

DROP TRIGGER IF EXISTS invoice_versions_no_delete;

DROP TRIGGER IF EXISTS invoice_versions_no_update;

DROP TRIGGER IF EXISTS time_entry_versions_no_delete;

DROP TRIGGER IF EXISTS time_entry_versions_no_update;

DROP TABLE IF EXISTS payment_versions;

DROP TABLE IF EXISTS invoice_versions;

DROP TABLE IF EXISTS time_entry_versions;

ALTER TABLE payments DROP KEY ix_payments_updated;

ALTER TABLE invoices DROP KEY ix_invoices_updated;

ALTER TABLE time_entries DROP COLUMN is_locked;
