-- Claims with a balance at as_of (billing.report_ar_claims): the A/R detail attachment.
-- Claim numbers and amounts only — no patient names, member ids, birth dates or diagnoses.
SELECT c.claim_number, coalesce(py.name, 'No payer') AS payer, pr.npi AS rendering_npi,
       c.date_of_service, c.submitted_at, a.status, c.total_charge,
       coalesce((SELECT sum(cp.paid) FROM billing.claim_payments cp JOIN billing.remittances r ON r.id = cp.remittance_id
                 WHERE cp.claim_id = c.id AND r.posted_at < %(as_of_ts)s), 0)::numeric(12,2) AS payer_paid,
       a.payer_balance, a.patient_balance,
       (%(as_of)s::date - c.date_of_service) AS age_days,
       CASE WHEN %(as_of)s::date - c.date_of_service <= 30 THEN '0-30'
            WHEN %(as_of)s::date - c.date_of_service <= 60 THEN '31-60'
            WHEN %(as_of)s::date - c.date_of_service <= 90 THEN '61-90'
            WHEN %(as_of)s::date - c.date_of_service <= 120 THEN '91-120'
            ELSE '120+' END AS aging_bucket
FROM billing.report_ar_claims(%(as_of_ts)s) a
JOIN billing.claims c ON c.id = a.claim_id
JOIN pm.visits v ON v.id = c.visit_id
LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
ORDER BY c.date_of_service, c.claim_number;
