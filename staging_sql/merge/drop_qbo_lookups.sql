DROP TEMPORARY TABLE IF EXISTS merge_qbo_employees;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_vendors;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_customers;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_scope;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_employees;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_vendors;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_customers;
DROP TEMPORARY TABLE IF EXISTS merge_qbo_changed_classes;
