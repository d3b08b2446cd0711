-- Gross and net collection rates (MGMA "adjusted" / net collection rate; HFMA MAP Keys measure cash
-- against net revenue the same way) for the encounters whose primary claim was adjudicated in the
-- period. See docs/metrics.md for the rule on contractual adjustments.
--   cohort       : primary claims (responsibility P) not replaced (no frequency-7 claim points at
--                  them) by as_of whose first 835 adjudication (billing.kpi_initial_adjudications)
--                  has its payment date (BPR16) in the period; one encounter per visit
--   charges      : Σ total_charge of the cohort claims
--   payments     : Σ claim_payments.paid (reversals included as posted) on every claim of the same
--                  visits (primary, secondary, replacements) posted before as_of
--                  + patient payments (−Σ patient_ledger 'patient_payment' on those claims) before as_of
--   contractual  : counted ONCE per visit. For each payer level (responsibility P, S, T: the claim
--                  and its replacements) the net contractual write-down Σ CO-45 / CO-253 on its
--                  claim payments (reversals included); the visit's contractual adjustment is the
--                  LARGEST of these, i.e. the primary's plus any further reduction by a later payer
--                  whose allowed amount was lower. A secondary's OA/CO-23 (prior payer) is never one.
--   gross rate   = payments ÷ charges;  net rate = payments ÷ (charges − contractual)
WITH cohort AS (
    SELECT c.id, c.visit_id, c.total_charge, c.payer_id, v.rendering_provider_id AS provider_id
    FROM billing.kpi_initial_adjudications(%(as_of_ts)s, %(report_tz)s) ia
    JOIN billing.claims c ON c.id = ia.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    WHERE ia.remit_date BETWEEN %(period_start)s AND %(period_end)s
      AND c.responsibility = 'P'
      AND NOT EXISTS (SELECT 1 FROM billing.claims r
                      WHERE r.replaces_claim_id = c.id AND r.created_at < %(as_of_ts)s)
),
visits AS (
    SELECT visit_id, sum(total_charge) AS charges, min(payer_id) AS payer_id, min(provider_id) AS provider_id
    FROM cohort GROUP BY visit_id
),
visit_payments AS (
    SELECT c.visit_id, c.responsibility, cp.paid,
           coalesce((SELECT sum(ad.amount) FROM billing.adjustments ad
                     WHERE ad.claim_payment_id = cp.id
                       AND billing.kpi_is_contractual(ad.group_code, ad.reason_code)), 0) AS contractual
    FROM visits vs
    JOIN billing.claims c ON c.visit_id = vs.visit_id
    JOIN billing.claim_payments cp ON cp.claim_id = c.id
    JOIN billing.remittances r ON r.id = cp.remittance_id
    WHERE r.posted_at < %(as_of_ts)s AND r.state = 'posted'
),
per_level AS (
    SELECT visit_id, responsibility, sum(paid) AS paid, sum(contractual) AS contractual
    FROM visit_payments GROUP BY visit_id, responsibility
),
payer_paid AS (
    SELECT visit_id, sum(paid) AS paid, greatest(max(contractual), 0) AS contractual
    FROM per_level GROUP BY visit_id
),
patient_paid AS (
    SELECT c.visit_id, -sum(pl.amount) AS paid
    FROM visits vs
    JOIN billing.claims c ON c.visit_id = vs.visit_id
    JOIN billing.patient_ledger pl ON pl.claim_id = c.id
    WHERE pl.entry_type = 'patient_payment' AND pl.created_at < %(as_of_ts)s
    GROUP BY c.visit_id
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
