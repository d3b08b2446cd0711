-- The claim of each payer level (P/S/T) that counts now for these visits: the latest version
-- that is not a void. Same columns as claims_for_remittance, plus the prior payer's figures.
SELECT DISTINCT ON (c.visit_id, c.responsibility)
       c.id, c.claim_number, c.status, c.visit_id, v.patient_id, v.visit_number, c.responsibility,
       c.date_of_service, c.payer_id, c.payer_claim_control_number, c.prior_payer_paid,
       c.prior_payer_adjustments
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
 WHERE c.visit_id = ANY(%(visit_ids)s)
   AND c.frequency_code <> '8'
 ORDER BY c.visit_id, c.responsibility, c.version DESC
