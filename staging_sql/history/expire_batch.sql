-- One batch of the collected versions of {versions} (seq in (low, high]); the delete trigger checks each again.
DELETE v FROM {versions} v
JOIN history_expirable e ON e.company_id = v.company_id AND e.entity_id = v.{entity} AND e.version = v.version
WHERE e.seq > %(low)s AND e.seq <= %(high)s
