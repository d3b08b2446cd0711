SELECT id, reason_code FROM billing.work_queue
WHERE claim_id = %(claim_id)s AND id <> %(item_id)s AND state IN ('open', 'in_progress')
ORDER BY id;
