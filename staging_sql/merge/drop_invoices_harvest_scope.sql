DROP TEMPORARY TABLE IF EXISTS merge_harvest_invoices_scope;
DROP TEMPORARY TABLE IF EXISTS merge_harvest_invoices_changed_clients;
