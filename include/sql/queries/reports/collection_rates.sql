-- Gross and net collection rates for the encounters whose primary claim was adjudicated in the period.
--   cohort       : primary claims (responsibility P) with a paid / partially_paid / denied event in
--                  the period, not replaced (no frequency-7 claim points at them) by as_of
--   charges      : Σ total_charge of the cohort claims
--   payments     : Σ claim_payments.paid (reversals included as posted) on every claim of the same
--                  visits (primary, secondary, replacements) posted before as_of
--                  + patient payments (−Σ patient_ledger 'patient_payment' on those claims) before as_of
--   contractual  : Σ CO-45 and CO-253 adjustments on those claim payments
--   gross rate   = payments ÷ charges;  net rate = payments ÷ (charges − contractual)
WITH cohort AS (
    SELECT DISTINCT c.id, c.visit_id, c.total_charge, c.payer_id, v.rendering_provider_id AS provider_id
    FROM billing.claim_events e
    JOIN billing.claims c ON c.id = e.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    WHERE right(e.event_type, 8) <> '_ignored'
      AND e.to_status IN ('paid', 'partially_paid', 'denied')
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
      AND c.responsibility = 'P'
      AND NOT EXISTS (SELECT 1 FROM billing.claims r
                      WHERE r.replaces_claim_id = c.id AND r.created_at < %(as_of_ts)s)
),
visits AS (
    SELECT visit_id, sum(total_charge) AS charges, min(payer_id) AS payer_id, min(provider_id) AS provider_id
    FROM cohort GROUP BY visit_id
),
visit_claims AS (
    SELECT c.id AS claim_id, c.visit_id FROM billing.claims c JOIN visits USING (visit_id)
),
payer_paid AS (
    SELECT vc.visit_id, sum(cp.paid) AS paid,
           coalesce(sum((SELECT sum(ad.amount) FROM billing.adjustments ad
                         WHERE ad.claim_payment_id = cp.id AND ad.group_code = 'CO'
                           AND ad.reason_code IN ('45', '253'))), 0) AS contractual
    FROM visit_claims vc
    JOIN billing.claim_payments cp ON cp.claim_id = vc.claim_id
    JOIN billing.remittances r ON r.id = cp.remittance_id
    WHERE r.posted_at < %(as_of_ts)s
    GROUP BY vc.visit_id
),
patient_paid AS (
    SELECT vc.visit_id, -sum(pl.amount) AS paid
    FROM visit_claims vc
    JOIN billing.patient_ledger pl ON pl.claim_id = vc.claim_id
    WHERE pl.entry_type = 'patient_payment' AND pl.created_at < %(as_of_ts)s
    GROUP BY vc.visit_id
),
base AS (
    SELECT v.payer_id, coalesce(py.name, 'No payer') AS payer_name, v.provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           v.charges,
           coalesce(pp.paid, 0) AS payer_payments,
           coalesce(pt.paid, 0) AS patient_payments,
           coalesce(pp.contractual, 0) AS contractual
    FROM visits v
    LEFT JOIN payer_paid pp ON pp.visit_id = v.visit_id
    LEFT JOIN patient_paid pt ON pt.visit_id = v.visit_id
    LEFT JOIN pm.payers py ON py.id = v.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.provider_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) AS encounters,
       coalesce(sum(charges), 0)::numeric(14,2) AS charges,
       coalesce(sum(payer_payments), 0)::numeric(14,2) AS payer_payments,
       coalesce(sum(patient_payments), 0)::numeric(14,2) AS patient_payments,
       coalesce(sum(payer_payments + patient_payments), 0)::numeric(14,2) AS payments,
       coalesce(sum(contractual), 0)::numeric(14,2) AS contractual_adjustments,
       round(sum(payer_payments + patient_payments) / nullif(sum(charges), 0), 4) AS gross_rate,
       round(sum(payer_payments + patient_payments) / nullif(sum(charges) - sum(contractual), 0), 4) AS net_rate
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
