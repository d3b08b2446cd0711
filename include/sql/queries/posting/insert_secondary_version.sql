-- A new version of a secondary claim the payer already has: frequency 7 (replacement, the
-- primary's new adjudication) or 8 (void, the primary now leaves nothing to the secondary).
-- REF*F8 carries the secondary payer's claim control number.
INSERT INTO billing.claims
    (claim_number, visit_id, policy_id, payer_id, responsibility, version, frequency_code,
     replaces_claim_id, payer_claim_control_number, status, total_charge, diagnosis_codes, date_of_service,
     prior_payer_paid, prior_payer_adjustments)
SELECT %(claim_number)s, c.visit_id, c.policy_id, c.payer_id, c.responsibility, c.version + 1,
       %(frequency_code)s, c.id, c.payer_claim_control_number, 'new', c.total_charge, c.diagnosis_codes,
       c.date_of_service, %(prior_payer_paid)s, %(prior_payer_adjustments)s
  FROM billing.claims c
 WHERE c.id = %(claim_id)s
ON CONFLICT (visit_id, responsibility, version) DO NOTHING
RETURNING id
