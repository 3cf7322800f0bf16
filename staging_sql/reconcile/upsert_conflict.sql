-- A disagreement seen in this run: opened once, then only last_seen_at (and the values) move. The parameters
-- are named again in the update part (MySQL 8 deprecates the VALUES function there).
INSERT INTO sync_conflicts (company_id, kind, entity_type, entity_id, field_name, `system`, source_type, source_id,
                            owning_system, owning_value, other_value, detail, status, first_seen_at,
                            last_seen_at, sync_log_id)
VALUES (%(company_id)s, %(kind)s, %(entity_type)s, %(entity_id)s, %(field_name)s, %(system)s, %(source_type)s,
        %(source_id)s, %(owning_system)s, %(owning_value)s, %(other_value)s, %(detail)s, 'open', %(now)s, %(now)s,
        %(sync_log_id)s)
ON DUPLICATE KEY UPDATE
  sync_conflicts.updated_at = IF(sync_conflicts.status = 'open'
                                 AND sync_conflicts.owning_value <=> %(owning_value)s
                                 AND sync_conflicts.other_value <=> %(other_value)s
                                 AND sync_conflicts.entity_id <=> %(entity_id)s,
                                 sync_conflicts.updated_at, CURRENT_TIMESTAMP(6)),
  sync_conflicts.entity_id = %(entity_id)s,
  sync_conflicts.owning_system = %(owning_system)s,
  sync_conflicts.owning_value = %(owning_value)s,
  sync_conflicts.other_value = %(other_value)s,
  sync_conflicts.detail = %(detail)s,
  sync_conflicts.first_seen_at = IF(sync_conflicts.status = 'open', sync_conflicts.first_seen_at, %(now)s),
  sync_conflicts.status = 'open',
  sync_conflicts.resolved_at = NULL,
  sync_conflicts.last_seen_at = %(now)s,
  sync_conflicts.sync_log_id = %(sync_log_id)s
