-- Payment status breakdown at as_of: every claim created by then, by its status at as_of
-- (billing.report_status_at), with counts and total charges; overall and by payer.
WITH base AS (
    SELECT st.status, c.payer_id, coalesce(py.name, 'No payer') AS payer_name, c.total_charge
    FROM billing.report_status_at(%(as_of_ts)s) st
    JOIN billing.claims c ON c.id = st.claim_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       payer_id::text AS key,
       coalesce(payer_name, 'All') AS label,
       status,
       count(*) AS claims,
       sum(total_charge)::numeric(14,2) AS charges
FROM base
GROUP BY GROUPING SETS ((status), (payer_id, payer_name, status))
ORDER BY dimension, label, status;
