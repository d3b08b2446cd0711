-- The claims an 835's CLP01s name, locked for the remittance's transaction (in id order, as
-- ledger.set_statuses locks them): the foreign-key checks of the payment and event rows that
-- follow then find the lock held instead of taking one per claim.
SELECT c.id, c.claim_number, c.status, c.visit_id, v.patient_id, v.visit_number, c.responsibility,
       c.date_of_service, c.payer_id, c.payer_claim_control_number
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
 WHERE c.claim_number = ANY(%(claim_numbers)s)
 ORDER BY c.id
   FOR UPDATE OF c
