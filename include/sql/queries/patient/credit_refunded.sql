-- A refunded credit balance: its refund work item is resolved.
UPDATE billing.work_queue w SET state = 'resolved', resolved_at = billing.clock(), resolved_by = %(actor)s
  FROM billing.credit_balances cb
 WHERE cb.id = %(credit_id)s AND w.id = cb.work_item_id AND w.state IN ('open', 'in_progress')
RETURNING cb.guarantor_key
