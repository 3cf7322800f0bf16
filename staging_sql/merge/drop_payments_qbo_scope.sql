DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_scope;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_changed_customers;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_payments_new_invoices;
