-- A frequency-7 replacement of a claim the payer already has: next version of the same visit
-- and responsibility, pointing at the original, carrying the payer's claim control number
-- (REF*F8). Status 'new'; the caller moves it to 'ready' through set_status.
INSERT INTO billing.claims
    (claim_number, visit_id, policy_id, payer_id, responsibility, version, frequency_code,
     replaces_claim_id, payer_claim_control_number, status, total_charge, diagnosis_codes, date_of_service,
     prior_payer_paid, prior_payer_adjustments)
SELECT %(claim_number)s, c.visit_id, c.policy_id, c.payer_id, c.responsibility, %(version)s, '7',
       c.id, c.payer_claim_control_number, 'new',
       (SELECT coalesce(sum(l.charge), c.total_charge) FROM billing.claim_lines l WHERE l.claim_id = c.id),
       c.diagnosis_codes, c.date_of_service, c.prior_payer_paid, c.prior_payer_adjustments
FROM billing.claims c
WHERE c.id = %(claim_id)s
ON CONFLICT (visit_id, responsibility, version) DO NOTHING
RETURNING id;
