-- A disagreement seen in this run: opened once, then only last_seen_at (and the values) move.
INSERT INTO sync_conflicts (company_id, kind, entity_type, entity_id, field_name, `system`, source_type, source_id,
                            owning_system, owning_value, other_value, detail, status, first_seen_at,
                            last_seen_at, sync_log_id)
VALUES (%(company_id)s, %(kind)s, %(entity_type)s, %(entity_id)s, %(field_name)s, %(system)s, %(source_type)s,
        %(source_id)s, %(owning_system)s, %(owning_value)s, %(other_value)s, %(detail)s, 'open', %(now)s, %(now)s,
        %(sync_log_id)s)
ON DUPLICATE KEY UPDATE
  sync_conflicts.updated_at = IF(sync_conflicts.status = 'open'
                                 AND sync_conflicts.owning_value <=> VALUES(owning_value)
                                 AND sync_conflicts.other_value <=> VALUES(other_value)
                                 AND sync_conflicts.entity_id <=> VALUES(entity_id),
                                 sync_conflicts.updated_at, CURRENT_TIMESTAMP(6)),
  sync_conflicts.entity_id = VALUES(entity_id),
  sync_conflicts.owning_system = VALUES(owning_system),
  sync_conflicts.owning_value = VALUES(owning_value),
  sync_conflicts.other_value = VALUES(other_value),
  sync_conflicts.detail = VALUES(detail),
  sync_conflicts.first_seen_at = IF(sync_conflicts.status = 'open', sync_conflicts.first_seen_at, VALUES(first_seen_at)),
  sync_conflicts.status = 'open',
  sync_conflicts.resolved_at = NULL,
  sync_conflicts.last_seen_at = VALUES(last_seen_at),
  sync_conflicts.sync_log_id = VALUES(sync_log_id)
