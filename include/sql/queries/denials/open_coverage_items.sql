SELECT id FROM billing.work_queue
 WHERE claim_id = %(claim_id)s AND reason_code = 'COB_COVERAGE_ORDER' AND state IN ('open', 'in_progress')
 ORDER BY id
