-- A new claim (frequency 1) for a denied claim's visit: next version of the same visit and
-- responsibility, to the payer of the visit's policy of that responsibility in force on the date
-- of service (as the coverage order says now), no payer claim number (no REF*F8). The primary
-- payer's adjudication (2320/2330) is kept only when the payer stays the same. Status 'new'.
INSERT INTO billing.claims
    (claim_number, visit_id, policy_id, payer_id, responsibility, version, frequency_code,
     replaces_claim_id, payer_claim_control_number, status, total_charge, diagnosis_codes, date_of_service,
     prior_payer_paid, prior_payer_adjustments)
SELECT %(claim_number)s, c.visit_id, ip.id, ip.payer_id, c.responsibility, %(version)s, '1',
       c.id, NULL, 'new',
       (SELECT coalesce(sum(l.charge), c.total_charge) FROM billing.claim_lines l WHERE l.claim_id = c.id),
       c.diagnosis_codes, c.date_of_service,
       CASE WHEN ip.payer_id = c.payer_id THEN c.prior_payer_paid END,
       CASE WHEN ip.payer_id = c.payer_id THEN c.prior_payer_adjustments END
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
JOIN LATERAL (
    SELECT p.id, p.payer_id FROM pm.insurance_policies p
     WHERE p.patient_id = v.patient_id
       AND p.priority = CASE c.responsibility WHEN 'P' THEN 'primary' WHEN 'S' THEN 'secondary' ELSE 'tertiary' END
       AND p.effective_date <= c.date_of_service
       AND (p.termination_date IS NULL OR p.termination_date >= c.date_of_service)
     ORDER BY p.effective_date DESC LIMIT 1
) ip ON true
WHERE c.id = %(claim_id)s
ON CONFLICT (visit_id, responsibility, version) DO NOTHING
RETURNING id, payer_id;
