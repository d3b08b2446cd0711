-- The secondary (tertiary) claim: same visit and lines, the earlier payers' adjudication attached.
INSERT INTO billing.claims
    (claim_number, visit_id, policy_id, payer_id, responsibility, version, frequency_code, status,
     total_charge, diagnosis_codes, date_of_service, prior_payer_paid, prior_payer_adjustments)
SELECT %(claim_number)s, c.visit_id, %(policy_id)s, %(payer_id)s, %(responsibility)s, 1, '1', 'new',
       c.total_charge, c.diagnosis_codes, c.date_of_service, %(prior_payer_paid)s, %(prior_payer_adjustments)s
  FROM billing.claims c
 WHERE c.id = %(primary_claim_id)s
ON CONFLICT DO NOTHING
RETURNING id
