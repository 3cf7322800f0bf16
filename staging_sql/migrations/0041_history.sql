-- History of time and money: every version the pipeline merged of each time entry, invoice and payment.
-- pipelines/reconcile/history.py appends a version (staging_sql/history/) inside the reconcile's own
-- transaction for every row the run wrote (updated_at = the run's now) whose business columns differ from
-- its latest version; a no-change run adds none. valid_to is never stored: the views derive it from the next
-- version. Versions are append-only, enforced here by triggers: UPDATE is always refused, DELETE only from
-- `timesync maintain --expire-versions-before` (staging_sql/history/expire_*.sql), which sets
-- @timesync_expire_versions_before, and only for versions superseded before that moment.
-- Rows that exist when this migration runs get their version 1 from the row as it stands (sync_log_id NULL).

-- The business columns of time_entries (is_locked joins them below). business_hash is computed by the database from the columns
-- it follows, so this is the one definition of "the same version"; free text is length-prefixed so no value
-- can imitate a neighbour's. VIRTUAL: computed when read (the history compares only the latest version of the
-- rows a run changed), so appending a version costs no hashing; STORED cost a first load ~2.5 µs a row.
CREATE TABLE IF NOT EXISTS time_entry_versions (
  company_id INT UNSIGNED NOT NULL,
  time_entry_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL COMMENT '1, 2, … per time entry; the highest is the current one',
  source_system VARCHAR(16) NOT NULL,
  source_id VARCHAR(64) NOT NULL,
  spent_date DATE NOT NULL,
  hours DECIMAL(10,4) NOT NULL,
  team_member_id BIGINT UNSIGNED NULL,
  project_id BIGINT UNSIGNED NULL,
  client_id BIGINT UNSIGNED NULL,
  service_line_id BIGINT UNSIGNED NULL,
  task_name VARCHAR(255) NULL,
  notes TEXT NULL,
  is_billable TINYINT(1) NULL,
  billable_rate DECIMAL(12,2) NULL,
  cost_rate DECIMAL(12,2) NULL,
  is_invoiced TINYINT(1) NOT NULL,
  is_locked TINYINT(1) NULL COMMENT 'Harvest is_locked (invoiced, approved or in a closed period); NULL elsewhere',
  source_invoice_id VARCHAR(64) NULL,
  is_running TINYINT(1) NOT NULL,
  jira_issue_source_id VARCHAR(64) NULL,
  started_at DATETIME(6) NULL,
  duplicate_of_id BIGINT UNSIGNED NULL,
  source_updated_at DATETIME(6) NULL,
  deleted_at DATETIME(6) NULL,
  valid_from DATETIME(6) NOT NULL COMMENT 'the reconcile run that merged this version (UTC)',
  change_kind ENUM('created', 'updated', 'deleted', 'revived') NOT NULL,
  sync_log_id BIGINT UNSIGNED NULL COMMENT 'the reconcile''s sync_logs row for time_entries; NULL: recorded by 0041',
  business_hash BINARY(16) AS (UNHEX(MD5(CONCAT_WS('|', source_system, source_id, spent_date, hours,
    IFNULL(team_member_id, '~'), IFNULL(project_id, '~'), IFNULL(client_id, '~'), IFNULL(service_line_id, '~'),
    IFNULL(CONCAT(CHAR_LENGTH(task_name), ':', task_name), '~'), IFNULL(CONCAT(CHAR_LENGTH(notes), ':', notes), '~'),
    IFNULL(is_billable, '~'), IFNULL(billable_rate, '~'), IFNULL(cost_rate, '~'), is_invoiced, IFNULL(is_locked, '~'),
    IFNULL(source_invoice_id, '~'), is_running, IFNULL(jira_issue_source_id, '~'), IFNULL(started_at, '~'),
    IFNULL(duplicate_of_id, '~'), IFNULL(source_updated_at, '~'), IFNULL(deleted_at, '~'))))) VIRTUAL,
  PRIMARY KEY (company_id, time_entry_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Append-only: every merged version of each time entry (triggers refuse UPDATE and DELETE)';

CREATE TABLE IF NOT EXISTS invoice_versions (
  company_id INT UNSIGNED NOT NULL,
  invoice_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL COMMENT '1, 2, … per invoice; the highest is the current one',
  source_system VARCHAR(16) NOT NULL,
  source_id VARCHAR(64) NOT NULL,
  client_id BIGINT UNSIGNED NULL,
  project_id BIGINT UNSIGNED NULL,
  doc_number VARCHAR(64) NULL,
  txn_date DATE NULL,
  due_date DATE NULL,
  currency VARCHAR(8) NULL,
  total_amount DECIMAL(14,2) NULL,
  balance DECIMAL(14,2) NULL,
  total_tax DECIMAL(14,2) NULL,
  source_updated_at DATETIME(6) NULL,
  deleted_at DATETIME(6) NULL,
  valid_from DATETIME(6) NOT NULL COMMENT 'the reconcile run that merged this version (UTC)',
  change_kind ENUM('created', 'updated', 'deleted', 'revived') NOT NULL,
  sync_log_id BIGINT UNSIGNED NULL COMMENT 'the reconcile''s sync_logs row for invoices; NULL: recorded by 0041',
  business_hash BINARY(16) AS (UNHEX(MD5(CONCAT_WS('|', source_system, source_id, IFNULL(client_id, '~'),
    IFNULL(project_id, '~'), IFNULL(CONCAT(CHAR_LENGTH(doc_number), ':', doc_number), '~'), IFNULL(txn_date, '~'),
    IFNULL(due_date, '~'), IFNULL(currency, '~'), IFNULL(total_amount, '~'), IFNULL(balance, '~'),
    IFNULL(total_tax, '~'), IFNULL(source_updated_at, '~'), IFNULL(deleted_at, '~'))))) VIRTUAL,
  PRIMARY KEY (company_id, invoice_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Append-only: every merged version of each invoice (triggers refuse UPDATE and DELETE)';

CREATE TABLE IF NOT EXISTS payment_versions (
  company_id INT UNSIGNED NOT NULL,
  payment_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL COMMENT '1, 2, … per payment; the highest is the current one',
  source_system VARCHAR(16) NOT NULL,
  source_id VARCHAR(64) NOT NULL,
  client_id BIGINT UNSIGNED NULL,
  invoice_id BIGINT UNSIGNED NULL,
  applied_invoice_source_ids VARCHAR(2000) NULL,
  txn_date DATE NULL,
  currency VARCHAR(8) NULL,
  total_amount DECIMAL(14,2) NULL,
  unapplied_amount DECIMAL(14,2) NULL,
  source_updated_at DATETIME(6) NULL,
  deleted_at DATETIME(6) NULL,
  valid_from DATETIME(6) NOT NULL COMMENT 'the reconcile run that merged this version (UTC)',
  change_kind ENUM('created', 'updated', 'deleted', 'revived') NOT NULL,
  sync_log_id BIGINT UNSIGNED NULL COMMENT 'the reconcile''s sync_logs row for payments; NULL: recorded by 0041',
  business_hash BINARY(16) AS (UNHEX(MD5(CONCAT_WS('|', source_system, source_id, IFNULL(client_id, '~'),
    IFNULL(invoice_id, '~'), IFNULL(applied_invoice_source_ids, '~'), IFNULL(txn_date, '~'), IFNULL(currency, '~'),
    IFNULL(total_amount, '~'), IFNULL(unapplied_amount, '~'), IFNULL(source_updated_at, '~'),
    IFNULL(deleted_at, '~'))))) VIRTUAL,
  PRIMARY KEY (company_id, payment_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Append-only: every merged version of each payment (triggers refuse UPDATE and DELETE)';

-- Harvest's lock (invoiced, approved, or in a closed period) joins time_entries: the Harvest merge reads the
-- staged record anyway, where the history would have to probe staging again for every version it writes (a
-- primary-key lookup into rows that are mostly raw_json: more than half the history's cost on a first load).
-- NULL for Jira and QBO rows. Existing Harvest rows take it from their staged record.
ALTER TABLE time_entries ADD COLUMN is_locked TINYINT(1) NULL
  COMMENT 'Harvest is_locked (invoiced, approved or in a closed period); NULL for other sources' AFTER is_invoiced;

UPDATE time_entries t
JOIN staging_harvest_time_entries he ON he.company_id = t.company_id AND he.id = CAST(t.source_id AS SIGNED)
SET t.is_locked = JSON_UNQUOTE(JSON_EXTRACT(he.raw_json, '$.is_locked')) = 'true'
WHERE t.source_system = 'harvest';

-- The history reads the rows a run wrote (company_id, updated_at = now); time_entries has that index (0030).
ALTER TABLE invoices ADD KEY ix_invoices_updated (company_id, updated_at);

ALTER TABLE payments ADD KEY ix_payments_updated (company_id, updated_at);

-- Append-only, for every user including the pipeline's own. A DELETE passes only while the session's
-- @timesync_expire_versions_before is set, and only for a version that a later one replaced before that
-- moment (so the current version, and the one in effect at the cutoff, always stay). TRUNCATE and DROP
-- bypass triggers; they need the DROP privilege, which the analyst logins never have.
DROP TRIGGER IF EXISTS time_entry_versions_no_update;

CREATE TRIGGER time_entry_versions_no_update BEFORE UPDATE ON time_entry_versions FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'time_entry_versions is append-only: a version is never updated';

DROP TRIGGER IF EXISTS time_entry_versions_no_delete;

DELIMITER //
CREATE TRIGGER time_entry_versions_no_delete BEFORE DELETE ON time_entry_versions FOR EACH ROW
BEGIN
  IF @timesync_expire_versions_before IS NULL OR NOT EXISTS (
      SELECT 1 FROM time_entry_versions n
      WHERE n.company_id = OLD.company_id AND n.time_entry_id = OLD.time_entry_id AND n.version > OLD.version
        AND n.valid_from < @timesync_expire_versions_before) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'time_entry_versions is append-only: only timesync maintain --expire-versions-before deletes superseded versions';
  END IF;
END//
DELIMITER ;

DROP TRIGGER IF EXISTS invoice_versions_no_update;

CREATE TRIGGER invoice_versions_no_update BEFORE UPDATE ON invoice_versions FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice_versions is append-only: a version is never updated';

DROP TRIGGER IF EXISTS invoice_versions_no_delete;

DELIMITER //
CREATE TRIGGER invoice_versions_no_delete BEFORE DELETE ON invoice_versions FOR EACH ROW
BEGIN
  IF @timesync_expire_versions_before IS NULL OR NOT EXISTS (
      SELECT 1 FROM invoice_versions n
      WHERE n.company_id = OLD.company_id AND n.invoice_id = OLD.invoice_id AND n.version > OLD.version
        AND n.valid_from < @timesync_expire_versions_before) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'invoice_versions is append-only: only timesync maintain --expire-versions-before deletes superseded versions';
  END IF;
END//
DELIMITER ;

DROP TRIGGER IF EXISTS payment_versions_no_update;

CREATE TRIGGER payment_versions_no_update BEFORE UPDATE ON payment_versions FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payment_versions is append-only: a version is never updated';

DROP TRIGGER IF EXISTS payment_versions_no_delete;

DELIMITER //
CREATE TRIGGER payment_versions_no_delete BEFORE DELETE ON payment_versions FOR EACH ROW
BEGIN
  IF @timesync_expire_versions_before IS NULL OR NOT EXISTS (
      SELECT 1 FROM payment_versions n
      WHERE n.company_id = OLD.company_id AND n.payment_id = OLD.payment_id AND n.version > OLD.version
        AND n.valid_from < @timesync_expire_versions_before) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'payment_versions is append-only: only timesync maintain --expire-versions-before deletes superseded versions';
  END IF;
END//
DELIMITER ;

-- Version 1 of every row already merged, as it stands (valid from its updated_at): without it, the first
-- change after this migration would have nothing to compare with. Rows that already have a version (a re-run
-- after a failure further down) are left alone.
INSERT INTO time_entry_versions (company_id, time_entry_id, version, source_system, source_id, spent_date, hours,
                                 team_member_id, project_id, client_id, service_line_id, task_name, notes,
                                 is_billable, billable_rate, cost_rate, is_invoiced, is_locked, source_invoice_id,
                                 is_running, jira_issue_source_id, started_at, duplicate_of_id, source_updated_at,
                                 deleted_at, valid_from, change_kind, sync_log_id)
SELECT t.company_id, t.id, 1, t.source_system, t.source_id, t.spent_date, t.hours, t.team_member_id, t.project_id,
       t.client_id, t.service_line_id, t.task_name, t.notes, t.is_billable, t.billable_rate, t.cost_rate,
       t.is_invoiced, t.is_locked, t.source_invoice_id, t.is_running, t.jira_issue_source_id, t.started_at, t.duplicate_of_id,
       t.source_updated_at, t.deleted_at, t.updated_at, 'created', NULL
FROM time_entries t
WHERE NOT EXISTS (SELECT 1 FROM time_entry_versions v WHERE v.company_id = t.company_id AND v.time_entry_id = t.id);

INSERT INTO invoice_versions (company_id, invoice_id, version, source_system, source_id, client_id, project_id,
                              doc_number, txn_date, due_date, currency, total_amount, balance, total_tax,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT i.company_id, i.id, 1, i.source_system, i.source_id, i.client_id, i.project_id, i.doc_number, i.txn_date,
       i.due_date, i.currency, i.total_amount, i.balance, i.total_tax, i.source_updated_at, i.deleted_at,
       i.updated_at, 'created', NULL
FROM invoices i
WHERE NOT EXISTS (SELECT 1 FROM invoice_versions v WHERE v.company_id = i.company_id AND v.invoice_id = i.id);

INSERT INTO payment_versions (company_id, payment_id, version, source_system, source_id, client_id, invoice_id,
                              applied_invoice_source_ids, txn_date, currency, total_amount, unapplied_amount,
                              source_updated_at, deleted_at, valid_from, change_kind, sync_log_id)
SELECT p.company_id, p.id, 1, p.source_system, p.source_id, p.client_id, p.invoice_id, p.applied_invoice_source_ids,
       p.txn_date, p.currency, p.total_amount, p.unapplied_amount, p.source_updated_at, p.deleted_at, p.updated_at,
       'created', NULL
FROM payments p
WHERE NOT EXISTS (SELECT 1 FROM payment_versions v WHERE v.company_id = p.company_id AND v.payment_id = p.id);

-- The moment the as-of views look at: the session's @timesync_as_of (a DATETIME or 'YYYY-MM-DD[ hh:mm:ss]',
-- UTC, like valid_from), or now when unset. A view cannot read variables; it can call a function.
DROP FUNCTION IF EXISTS history_as_of;

CREATE FUNCTION history_as_of() RETURNS DATETIME(6)
  NOT DETERMINISTIC NO SQL SQL SECURITY INVOKER
  COMMENT 'SET @timesync_as_of = ''YYYY-MM-DD hh:mm:ss'' (UTC) before reading v_project_hours_monthly_as_of'
  RETURN IF(@timesync_as_of IS NULL, UTC_TIMESTAMP(6), CAST(@timesync_as_of AS DATETIME(6)));

-- Every version with the moment it stopped being current (valid_to: the next version's valid_from; NULL for the
-- current one). Versions are numbered without gaps (a version is only ever appended as the latest + 1, and
-- expiry removes only the oldest of a row), so the next version is version + 1, found through the primary key:
-- the same answer as LEAD(valid_from) OVER (PARTITION BY … ORDER BY version), but the view stays mergeable, so
-- the analyst schema's company filter (and a reader's own company_id predicate) reach the primary key instead of
-- a window over every company's versions.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_time_entry_history AS
SELECT v.company_id, v.time_entry_id, v.version, v.change_kind, v.valid_from, n.valid_from AS valid_to,
       v.sync_log_id, v.source_system, v.source_id, v.spent_date, v.hours, v.team_member_id, v.project_id,
       v.client_id, v.service_line_id, v.task_name, v.notes, v.is_billable, v.billable_rate, v.cost_rate,
       v.is_invoiced, v.is_locked, v.source_invoice_id, v.is_running, v.jira_issue_source_id, v.started_at,
       v.duplicate_of_id, v.source_updated_at, v.deleted_at
FROM time_entry_versions v
LEFT JOIN time_entry_versions n ON n.company_id = v.company_id AND n.time_entry_id = v.time_entry_id
     AND n.version = v.version + 1;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_invoice_history AS
SELECT v.company_id, v.invoice_id, v.version, v.change_kind, v.valid_from, n.valid_from AS valid_to,
       v.sync_log_id, v.source_system, v.source_id, v.client_id, v.project_id, v.doc_number, v.txn_date,
       v.due_date, v.currency, v.total_amount, v.balance, v.total_tax, v.source_updated_at, v.deleted_at
FROM invoice_versions v
LEFT JOIN invoice_versions n ON n.company_id = v.company_id AND n.invoice_id = v.invoice_id
     AND n.version = v.version + 1;

CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_payment_history AS
SELECT v.company_id, v.payment_id, v.version, v.change_kind, v.valid_from, n.valid_from AS valid_to,
       v.sync_log_id, v.source_system, v.source_id, v.client_id, v.invoice_id, v.applied_invoice_source_ids,
       v.txn_date, v.currency, v.total_amount, v.unapplied_amount, v.source_updated_at, v.deleted_at
FROM payment_versions v
LEFT JOIN payment_versions n ON n.company_id = v.company_id AND n.payment_id = v.payment_id
     AND n.version = v.version + 1;

-- Changes that should not happen once money moved, one row per changed field: a time entry whose hours, date,
-- project, person or billable flag changed in a version whose previous version was invoiced or locked, and an
-- invoice whose total changed after a payment applied to it was known (merged in an earlier run, or in the same
-- run but updated at the source before the invoice). The previous version is the one numbered one less (see
-- v_time_entry_history), found through the primary key.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_changed_after_invoiced AS
SELECT v.company_id, 'time_entry' AS record_type, v.time_entry_id AS record_id, v.source_system, v.source_id,
       v.version, f.field_name,
       CASE f.field_name WHEN 'hours' THEN CAST(p.hours AS CHAR) WHEN 'spent_date' THEN CAST(p.spent_date AS CHAR)
            WHEN 'project_id' THEN CAST(p.project_id AS CHAR) WHEN 'team_member_id' THEN CAST(p.team_member_id AS CHAR)
            ELSE CAST(p.is_billable AS CHAR) END AS value_before,
       CASE f.field_name WHEN 'hours' THEN CAST(v.hours AS CHAR) WHEN 'spent_date' THEN CAST(v.spent_date AS CHAR)
            WHEN 'project_id' THEN CAST(v.project_id AS CHAR) WHEN 'team_member_id' THEN CAST(v.team_member_id AS CHAR)
            ELSE CAST(v.is_billable AS CHAR) END AS value_after,
       CASE WHEN p.is_invoiced = 1 THEN 'invoiced' ELSE 'locked' END AS changed_after,
       v.valid_from AS changed_at, v.sync_log_id
FROM time_entry_versions p
JOIN time_entry_versions v ON v.company_id = p.company_id AND v.time_entry_id = p.time_entry_id
     AND v.version = p.version + 1
JOIN (SELECT 'hours' AS field_name UNION ALL SELECT 'spent_date' UNION ALL SELECT 'project_id'
      UNION ALL SELECT 'team_member_id' UNION ALL SELECT 'is_billable') f
  ON CASE f.field_name WHEN 'hours' THEN NOT (p.hours <=> v.hours)
          WHEN 'spent_date' THEN NOT (p.spent_date <=> v.spent_date)
          WHEN 'project_id' THEN NOT (p.project_id <=> v.project_id)
          WHEN 'team_member_id' THEN NOT (p.team_member_id <=> v.team_member_id)
          ELSE NOT (p.is_billable <=> v.is_billable) END
WHERE p.is_invoiced = 1 OR p.is_locked = 1
UNION ALL
SELECT v.company_id, 'invoice', v.invoice_id, v.source_system, v.source_id, v.version, 'total_amount',
       CAST(p.total_amount AS CHAR), CAST(v.total_amount AS CHAR), 'paid', v.valid_from, v.sync_log_id
FROM invoice_versions p
JOIN invoice_versions v ON v.company_id = p.company_id AND v.invoice_id = p.invoice_id AND v.version = p.version + 1
WHERE NOT (p.total_amount <=> v.total_amount)
  AND EXISTS (SELECT 1 FROM payment_versions pv
              WHERE pv.company_id = v.company_id AND pv.deleted_at IS NULL
                AND (pv.invoice_id = v.invoice_id
                     OR (pv.source_system = v.source_system
                         AND FIND_IN_SET(v.source_id, pv.applied_invoice_source_ids) > 0))
                AND pv.valid_from <= v.valid_from
                AND (pv.valid_from < v.valid_from OR pv.source_updated_at < v.source_updated_at));

-- Hours per project and month as they stood at history_as_of(): for each time entry the version in effect then
-- (valid_from at or before it, and its next version, if any, after it), counted as v_project_hours_monthly
-- counts the current rows (not deleted, not a Jira copy of a Harvest entry). Names are today's. The function is
-- called in WHERE only: MariaDB 10.11 checks EXECUTE for a function in a JOIN's ON clause against the logged-in
-- user, which the analyst schema's definer views would then refuse to analysts.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_project_hours_monthly_as_of AS
SELECT v.company_id, v.project_id, MAX(p.name) AS project_name, MAX(c.name) AS client_name,
       DATE_FORMAT(v.spent_date, '%Y-%m') AS month, SUM(v.hours) AS hours,
       SUM(CASE WHEN v.is_billable = 1 THEN v.hours ELSE 0 END) AS billable_hours,
       SUM(CASE WHEN v.source_system = 'harvest' THEN v.hours ELSE 0 END) AS harvest_hours,
       SUM(CASE WHEN v.source_system = 'jira' THEN v.hours ELSE 0 END) AS jira_only_hours,
       SUM(CASE WHEN v.source_system = 'qbo' THEN v.hours ELSE 0 END) AS qbo_hours,
       history_as_of() AS as_of
FROM time_entry_versions v
LEFT JOIN time_entry_versions n ON n.company_id = v.company_id AND n.time_entry_id = v.time_entry_id
     AND n.version = v.version + 1
LEFT JOIN projects p ON p.id = v.project_id
LEFT JOIN clients c ON c.id = v.client_id
WHERE v.valid_from <= history_as_of() AND (n.version IS NULL OR n.valid_from > history_as_of())
  AND v.deleted_at IS NULL AND v.duplicate_of_id IS NULL
GROUP BY v.company_id, v.project_id, DATE_FORMAT(v.spent_date, '%Y-%m');
