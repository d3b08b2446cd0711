UPDATE billing.work_queue
SET state = %(state)s, resolved_at = billing.clock(), resolved_by = %(actor)s
WHERE id = %(item_id)s AND state IN ('open', 'in_progress')
RETURNING id;
