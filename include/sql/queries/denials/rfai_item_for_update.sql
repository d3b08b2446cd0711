-- A request for additional information, locked while its answer is written.
SELECT claim_id, state, details, due_date FROM billing.work_queue
 WHERE id = %(item_id)s AND source = 'rfai'
   FOR UPDATE
