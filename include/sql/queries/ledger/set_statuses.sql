-- The claims' new statuses, after their events are recorded (ledger.set_status / set_statuses).
UPDATE billing.claims c SET status = m.status, updated_at = billing.clock()
  FROM unnest(%(ids)s::bigint[], %(statuses)s::text[]) AS m(id, status)
 WHERE c.id = m.id
