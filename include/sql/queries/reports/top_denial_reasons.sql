-- Top denial reasons: for the claims whose first 835 adjudication in the period (payment date,
-- BPR16) denied them (billing.kpi_initial_adjudications, the denial_rate rule), the denial-reason
-- adjustments (CO/PI/OA other than contractual CO-45/CO-253 and prior-payer 23; group-CARC) of
-- that claim payment, claim and line level. Ranked by amount, then claims.
WITH adjudicated AS MATERIALIZED (   -- all first adjudications in the period; the denied ones are kept below
    SELECT ia.claim_id, ia.claim_payment_id, ia.denied
    FROM billing.kpi_initial_adjudications(%(as_of_ts)s, %(report_tz)s) ia
    WHERE ia.remit_date BETWEEN %(period_start)s AND %(period_end)s
),
reasons AS (
    SELECT d.claim_id, d.denied, ad.group_code, ad.reason_code, ad.amount
    FROM adjudicated d
    JOIN billing.adjustments ad ON ad.claim_payment_id = d.claim_payment_id
)
SELECT group_code || '-' || reason_code AS carc,
       group_code, reason_code,
       count(DISTINCT claim_id) AS claims,
       sum(amount)::numeric(14,2) AS amount
FROM reasons
WHERE denied AND billing.kpi_is_denial_reason(group_code, reason_code)
GROUP BY group_code, reason_code
ORDER BY 5 DESC, 4 DESC, 1
LIMIT %(top_n)s;
