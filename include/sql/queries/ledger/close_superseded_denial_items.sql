-- A payer that answers a line again without reversing its earlier answer (e.g. pays after an
-- appeal): the earlier adjudication no longer counts, so its denial item is done.
UPDATE billing.work_queue w
   SET state = 'resolved', resolved_at = billing.clock(), resolved_by = %(actor)s
  FROM (SELECT DISTINCT a.claim_payment_id AS id
          FROM billing.line_payments b
          JOIN billing.claim_payments cb ON cb.id = b.claim_payment_id
          JOIN billing.line_payments a ON a.claim_line_id = b.claim_line_id AND a.claim_payment_id < b.claim_payment_id
          JOIN billing.claim_payments ca ON ca.id = a.claim_payment_id AND ca.claim_id = cb.claim_id
         WHERE b.claim_payment_id = ANY(%(payment_ids)s)
           AND NOT cb.is_reversal AND NOT ca.is_reversal AND b.claim_line_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM billing.claim_payments x WHERE x.reverses_payment_id = ca.id)) s
 WHERE w.dedupe_key = 'denial:' || s.id AND w.state IN ('open', 'in_progress')
RETURNING w.id
