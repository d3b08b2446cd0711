-- Top denial reasons: for the claims whose first 835 adjudication in the period (payment date,
-- BPR16) denied them (billing.kpi_initial_adjudications, the denial_rate rule), the denial-reason
-- adjustments (CO/PI/OA other than contractual CO-45/CO-253 and prior-payer 23; group-CARC) of
-- that claim payment, claim and line level. Ranked by amount, then claims.
WITH denied AS (
    SELECT ia.claim_id, ia.claim_payment_id
    FROM billing.kpi_initial_adjudications(%(as_of_ts)s, %(report_tz)s) ia
    WHERE ia.denied AND ia.remit_date BETWEEN %(period_start)s AND %(period_end)s
)
SELECT ad.group_code || '-' || ad.reason_code AS carc,
       ad.group_code, ad.reason_code,
       count(DISTINCT d.claim_id) AS claims,
       sum(ad.amount)::numeric(14,2) AS amount
FROM denied d
JOIN billing.adjustments ad ON ad.claim_payment_id = d.claim_payment_id
WHERE billing.kpi_is_denial_reason(ad.group_code, ad.reason_code)
GROUP BY ad.group_code, ad.reason_code
ORDER BY amount DESC, claims DESC, carc
LIMIT %(top_n)s;
