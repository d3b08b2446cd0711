SELECT c.id, c.claim_number, c.status, c.visit_id, v.patient_id, v.visit_number, c.responsibility,
       c.date_of_service, c.payer_id, c.payer_claim_control_number
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
 WHERE c.claim_number = ANY(%(claim_numbers)s)
