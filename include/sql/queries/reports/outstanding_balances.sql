-- Outstanding balances at as_of, payer vs patient, overall and by payer.
--   payer_ar   = Σ payer_balance of billing.report_ar_claims (see 0010_kpi_definitions.sql / docs/metrics.md)
--   patient_ar = Σ patient_ledger.amount before as_of (entries without a claim count overall only,
--                under 'No claim' by payer)
WITH ar AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name, a.payer_balance, 0::numeric AS patient_balance,
           (a.payer_balance <> 0) AS payer_open
    FROM billing.report_ar_claims(%(as_of_ts)s) a
    JOIN billing.claims c ON c.id = a.claim_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    UNION ALL
    SELECT c.payer_id, CASE WHEN pl.claim_id IS NULL THEN 'No claim' ELSE coalesce(py.name, 'No payer') END,
           0, pl.amount, false
    FROM billing.patient_ledger pl
    LEFT JOIN billing.claims c ON c.id = pl.claim_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    WHERE pl.created_at < %(as_of_ts)s
)
SELECT CASE WHEN GROUPING(payer_name) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       max(payer_id)::text AS key,
       coalesce(payer_name, 'All') AS label,
       coalesce(sum(payer_balance), 0)::numeric(14,2) AS payer_ar,
       coalesce(sum(patient_balance), 0)::numeric(14,2) AS patient_ar,
       (coalesce(sum(payer_balance), 0) + coalesce(sum(patient_balance), 0))::numeric(14,2) AS total_ar,
       count(*) FILTER (WHERE payer_open) AS payer_claims_open
FROM ar
GROUP BY GROUPING SETS ((), (payer_name))
ORDER BY dimension, label;
