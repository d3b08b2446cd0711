-- Adjudications with something denied that no denial work item covers yet: the latest
-- non-reversed payment of each denied or partially paid claim.
SELECT cp.id AS claim_payment_id, cp.claim_id, c.status, c.claim_number, r.payment_date, cp.paid, cp.charge,
       c.payer_claim_control_number
  FROM billing.claim_payments cp
  JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
  JOIN billing.claims c ON c.id = cp.claim_id
 WHERE NOT cp.is_reversal
   AND c.status IN ('denied', 'partially_paid')
   AND NOT EXISTS (SELECT 1 FROM billing.claim_payments x WHERE x.reverses_payment_id = cp.id)
   AND NOT EXISTS (SELECT 1 FROM billing.work_queue w WHERE w.dedupe_key = 'denial:' || cp.id)
 ORDER BY cp.id
