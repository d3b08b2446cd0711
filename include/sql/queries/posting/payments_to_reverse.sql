-- Per claim, the latest posted payment not yet reversed: what a CLP02=22 takes back.
SELECT DISTINCT ON (cp.claim_id) cp.claim_id, cp.id
  FROM billing.claim_payments cp
  JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
 WHERE cp.claim_id = ANY(%(claim_ids)s)
   AND NOT cp.is_reversal
   AND NOT EXISTS (SELECT 1 FROM billing.claim_payments x WHERE x.reverses_payment_id = cp.id)
 ORDER BY cp.claim_id, cp.id DESC
