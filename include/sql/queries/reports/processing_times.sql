-- Claims processing time, in hours, median and 90th percentile (continuous percentiles),
-- overall and by payer. Each interval is counted in the period in which it ENDS:
--   completed_to_submitted : visit completed_at → the claim's first 'submitted' event
--                            (original primary claims only: responsibility P, frequency 1)
--   submitted_to_accepted  : first 'submitted' → first 'accepted' (277CA) event
--   submitted_to_paid      : first 'submitted' → the PAYMENT DATE (835 BPR16) of the first claim
--                            payment that paid money (non-reversal CLP with CLP04 > 0, posted
--                            remittance), not the moment it was posted. BPR16 is a date, so this
--                            interval is whole days: (BPR16 − the submission's day in the report
--                            time zone) × 24 hours. Counted in the period that holds BPR16.
WITH paid AS (                  -- each claim's first payment date (BPR16), from posted 835s by as_of
    SELECT cp.claim_id, min(coalesce(r.payment_date, (r.posted_at AT TIME ZONE %(report_tz)s)::date)) AS paid_on
    FROM billing.claim_payments cp
    JOIN billing.remittances r ON r.id = cp.remittance_id
    WHERE NOT cp.is_reversal AND cp.paid > 0 AND r.state = 'posted' AND r.posted_at < %(as_of_ts)s
    GROUP BY cp.claim_id
),
candidates AS (                 -- claims with an interval ending in the period
    SELECT e.claim_id
    FROM billing.claim_events e
    WHERE e.to_status IN ('submitted', 'accepted')
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
    UNION
    SELECT claim_id FROM paid WHERE paid_on BETWEEN %(period_start)s AND %(period_end)s
),
firsts AS (
    SELECT e.claim_id,
           min(e.occurred_at) FILTER (WHERE e.to_status = 'submitted') AS submitted_at,
           min(e.occurred_at) FILTER (WHERE e.to_status = 'accepted') AS accepted_at,
           min(p.paid_on) AS paid_on
    FROM candidates k
    JOIN billing.claim_events e ON e.claim_id = k.claim_id
    LEFT JOIN paid p ON p.claim_id = k.claim_id
    WHERE NOT e.ignored
      AND e.from_status IS DISTINCT FROM e.to_status
      AND e.to_status IN ('submitted', 'accepted')
      AND e.occurred_at < %(period_end_ts)s
    GROUP BY e.claim_id
),
intervals AS (
    SELECT 'completed_to_submitted' AS measure, c.payer_id,
           extract(epoch FROM f.submitted_at - v.completed_at) / 3600 AS hours
    FROM firsts f JOIN billing.claims c ON c.id = f.claim_id JOIN pm.visits v ON v.id = c.visit_id
    WHERE f.submitted_at >= %(period_start_ts)s AND v.completed_at IS NOT NULL
      AND c.responsibility = 'P' AND c.frequency_code = '1'
    UNION ALL
    SELECT 'submitted_to_accepted', c.payer_id, extract(epoch FROM f.accepted_at - f.submitted_at) / 3600
    FROM firsts f JOIN billing.claims c ON c.id = f.claim_id
    WHERE f.accepted_at >= %(period_start_ts)s AND f.submitted_at IS NOT NULL
    UNION ALL
    SELECT 'submitted_to_paid', c.payer_id,
           (24 * (f.paid_on - (f.submitted_at AT TIME ZONE %(report_tz)s)::date))::numeric
    FROM firsts f JOIN billing.claims c ON c.id = f.claim_id
    WHERE f.paid_on BETWEEN %(period_start)s AND %(period_end)s AND f.submitted_at IS NOT NULL
),
measures(measure, position) AS (
    VALUES ('completed_to_submitted', 1), ('submitted_to_accepted', 2), ('submitted_to_paid', 3)
),
base AS (
    SELECT m.measure, m.position, i.payer_id, coalesce(py.name, 'No payer') AS payer_name, i.hours
    FROM measures m
    LEFT JOIN intervals i ON i.measure = m.measure
    LEFT JOIN pm.payers py ON py.id = i.payer_id
)
SELECT CASE WHEN GROUPING(payer_name) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       max(payer_id)::text AS key,
       coalesce(payer_name, 'All') AS label,
       measure,
       count(hours) AS claims,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY hours))::numeric, 1) AS median_hours,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY hours))::numeric, 1) AS p90_hours
FROM base
GROUP BY GROUPING SETS ((measure, position), (measure, position, payer_name))
HAVING GROUPING(payer_name) = 1 OR count(hours) > 0
ORDER BY dimension, label, position;
