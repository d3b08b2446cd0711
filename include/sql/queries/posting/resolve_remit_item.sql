UPDATE billing.work_queue SET state = 'resolved', resolved_at = billing.clock(), resolved_by = %(actor)s
 WHERE dedupe_key = %(dedupe_key)s AND state IN ('open', 'in_progress')
