-- First-pass acceptance rate: original claims (frequency 1) FIRST submitted in the period that the
-- 999 and the 277CA accepted on that first submission, ÷ original claims first submitted in the period.
-- A claim fails first pass when, before its first 'accepted' event, it had a 'rejected' event or a
-- second 'submitted' event (it was resubmitted), or when the first batch it travelled in was
-- rejected (999 at batch level), even if it was accepted later. Claims without any answer by as_of
-- stay in the denominator (reported as `awaiting_response`). Outcomes are read up to as_of.
-- Acceptance is the PAYER's (277CA STC01 A2/A5, 'accepted'); a clearinghouse receipt (A0/A1) only
-- makes a claim 'acknowledged', so a payer A3/A6/A7/A8 after it is a 'rejected' event here.
-- Only real transitions count (an event that records a file without changing the status, e.g. a
-- second clearinghouse receipt, has from_status = to_status).
WITH candidates AS (            -- claims submitted in the period (first time or again)
    SELECT DISTINCT e.claim_id
    FROM billing.claim_events e
    WHERE e.to_status = 'submitted' AND NOT e.ignored
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
),
ev AS (
    SELECT e.claim_id, e.to_status, e.occurred_at, e.from_status IS DISTINCT FROM e.to_status AS moved
    FROM candidates k
    JOIN billing.claim_events e ON e.claim_id = k.claim_id
    WHERE NOT e.ignored
      AND e.occurred_at < %(as_of_ts)s
      AND e.to_status IN ('submitted', 'rejected', 'accepted')
),
marked AS (                    -- each event with its claim's first submission and first acceptance
    SELECT ev.*,
           min(occurred_at) FILTER (WHERE to_status = 'submitted' AND moved) OVER w AS first_submitted_at,
           min(occurred_at) FILTER (WHERE to_status = 'accepted' AND moved) OVER w AS first_accepted_at
    FROM ev
    WINDOW w AS (PARTITION BY claim_id)
),
firsts AS (                     -- per claim, without joining events to claims (no per-claim loops)
    SELECT claim_id, min(first_submitted_at) AS first_submitted_at, min(first_accepted_at) AS first_accepted_at,
           bool_or(to_status IN ('rejected', 'submitted') AND moved
                   AND occurred_at > first_submitted_at
                   AND (first_accepted_at IS NULL OR occurred_at < first_accepted_at)) AS reworked
    FROM marked
    GROUP BY claim_id
),
cohort AS (
    SELECT f.claim_id, f.first_submitted_at, f.first_accepted_at, f.reworked
    FROM firsts f
    JOIN billing.claims c ON c.id = f.claim_id
    WHERE f.first_submitted_at >= %(period_start_ts)s AND f.first_submitted_at < %(period_end_ts)s
      AND c.frequency_code = '1'
),
first_batch AS (
    SELECT DISTINCT ON (bc.claim_id) bc.claim_id, sb.state
    FROM cohort k
    JOIN billing.batch_claims bc ON bc.claim_id = k.claim_id
    JOIN billing.submission_batches sb ON sb.id = bc.batch_id
    ORDER BY bc.claim_id, sb.created_at, sb.id
),
outcome AS (
    SELECT k.claim_id,
           coalesce(k.reworked, false) AS reworked,
           coalesce(fb.state = 'rejected', false) AS first_batch_rejected,
           k.first_accepted_at IS NOT NULL AS accepted
    FROM cohort k
    LEFT JOIN first_batch fb ON fb.claim_id = k.claim_id
),
base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name,
           v.rendering_provider_id AS provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           (o.accepted AND NOT o.reworked AND NOT o.first_batch_rejected) AS first_pass,
           (NOT o.accepted AND NOT o.reworked AND NOT o.first_batch_rejected) AS awaiting
    FROM outcome o
    JOIN billing.claims c ON c.id = o.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) AS first_submitted,
       count(*) FILTER (WHERE first_pass) AS accepted_first_pass,
       count(*) FILTER (WHERE awaiting) AS awaiting_response,
       round(count(*) FILTER (WHERE first_pass)::numeric / nullif(count(*), 0), 4) AS rate
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
