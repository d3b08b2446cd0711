-- The staged secondary (tertiary) claims: same visit, charge and diagnoses as the claim the
-- earlier payer adjudicated, its adjudication attached; 'ready' to be sent (the created and
-- secondary_ready events below record both steps). A claim that exists already is skipped.
INSERT INTO billing.claims
    (claim_number, visit_id, policy_id, payer_id, responsibility, version, frequency_code, status,
     total_charge, diagnosis_codes, date_of_service, prior_payer_paid, prior_payer_adjustments)
SELECT s.claim_number, c.visit_id, s.policy_id, s.payer_id, s.responsibility, 1, '1', 'ready',
       c.total_charge, c.diagnosis_codes, c.date_of_service, s.prior_payer_paid, s.prior_payer_adjustments
  FROM posting_new_secondary s
  JOIN billing.claims c ON c.id = s.primary_claim_id
 ORDER BY s.position
ON CONFLICT DO NOTHING
RETURNING id
