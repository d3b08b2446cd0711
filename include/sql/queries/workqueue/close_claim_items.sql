-- Close every open item of a claim (a write-off ends all work on it).
UPDATE billing.work_queue
SET state = %(state)s, resolved_at = billing.clock(), resolved_by = %(actor)s
WHERE claim_id = %(claim_id)s AND state IN ('open', 'in_progress')
RETURNING id;
