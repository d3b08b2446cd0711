-- For posting files concurrently (posting._posting_order): the visit of every claim a reference
-- may name, as our claim number (CLP01, PLB03-2) or as the payer's claim control number (PLB03-2).
SELECT c.claim_number, c.payer_claim_control_number, c.visit_id
  FROM billing.claims c
 WHERE c.claim_number = ANY(%(refs)s) OR c.payer_claim_control_number = ANY(%(refs)s)
 ORDER BY c.id
