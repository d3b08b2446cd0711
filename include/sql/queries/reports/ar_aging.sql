-- Payer A/R aging at as_of by payer: each claim's payer_balance (billing.report_ar_claims) in a
-- bucket by age = as_of − date of service, in days: 0–30, 31–60, 61–90, 91–120, 120+.
WITH base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name, a.payer_balance,
           (%(as_of)s::date - c.date_of_service) AS age_days
    FROM billing.report_ar_claims(%(as_of_ts)s) a
    JOIN billing.claims c ON c.id = a.claim_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    WHERE a.payer_balance <> 0
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       payer_id::text AS key,
       coalesce(payer_name, 'All') AS label,
       count(*) AS claims,
       coalesce(sum(payer_balance) FILTER (WHERE age_days <= 30), 0)::numeric(14,2) AS "0_30",
       coalesce(sum(payer_balance) FILTER (WHERE age_days BETWEEN 31 AND 60), 0)::numeric(14,2) AS "31_60",
       coalesce(sum(payer_balance) FILTER (WHERE age_days BETWEEN 61 AND 90), 0)::numeric(14,2) AS "61_90",
       coalesce(sum(payer_balance) FILTER (WHERE age_days BETWEEN 91 AND 120), 0)::numeric(14,2) AS "91_120",
       coalesce(sum(payer_balance) FILTER (WHERE age_days > 120), 0)::numeric(14,2) AS "120_plus",
       coalesce(sum(payer_balance), 0)::numeric(14,2) AS total
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name))
ORDER BY dimension, label;
