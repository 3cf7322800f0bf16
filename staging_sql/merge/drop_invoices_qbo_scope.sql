DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_scope;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_changed_customers;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_invoices_changed_jobs;
