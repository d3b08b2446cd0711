-- Top denial reasons: for the claims denied in the period (latest adjudication in the period is
-- 'denied'), the CARC adjustments (group-code) of the claim payment that denied them (the
-- latest non-reversal claim payment posted by the period end). Ranked by amount, then claims.
WITH adj AS (
    SELECT DISTINCT ON (e.claim_id) e.claim_id, e.to_status AS outcome
    FROM billing.claim_events e
    WHERE right(e.event_type, 8) <> '_ignored'
      AND e.to_status IN ('paid', 'partially_paid', 'denied')
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
    ORDER BY e.claim_id, e.occurred_at DESC, e.id DESC
),
denying_payment AS (
    SELECT DISTINCT ON (cp.claim_id) cp.claim_id, cp.id AS claim_payment_id
    FROM adj a
    JOIN billing.claim_payments cp ON cp.claim_id = a.claim_id AND NOT cp.is_reversal
    JOIN billing.remittances r ON r.id = cp.remittance_id
    WHERE a.outcome = 'denied' AND r.posted_at < %(period_end_ts)s
    ORDER BY cp.claim_id, r.posted_at DESC, cp.id DESC
)
SELECT ad.group_code || '-' || ad.reason_code AS carc,
       ad.group_code, ad.reason_code,
       count(DISTINCT dp.claim_id) AS claims,
       sum(ad.amount)::numeric(14,2) AS amount
FROM denying_payment dp
JOIN billing.adjustments ad ON ad.claim_payment_id = dp.claim_payment_id
GROUP BY ad.group_code, ad.reason_code
ORDER BY amount DESC, claims DESC, carc
LIMIT %(top_n)s;
