-- Claims submitted and processed in [period_start, period_end], overall / by payer / by provider.
--   claims_submitted : claims whose FIRST 'submitted' event falls in the period (a resubmission
--                      of the same claim is not counted again; a replacement claim is its own claim)
--   submissions      : every 'submitted' event in the period (first submissions + resubmissions)
--   claims_processed : claims adjudicated in the period (a paid / partially_paid / denied event)
-- Ignored events (claim_events.ignored) are out-of-order files that changed nothing and never count.
WITH candidates AS (            -- claims submitted or adjudicated in the period
    SELECT DISTINCT e.claim_id
    FROM billing.claim_events e
    WHERE e.to_status IN ('submitted', 'paid', 'partially_paid', 'denied')
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
),
ev AS (
    SELECT e.claim_id, e.to_status, e.occurred_at
    FROM candidates k
    JOIN billing.claim_events e ON e.claim_id = k.claim_id
    WHERE NOT e.ignored
      AND e.occurred_at < %(period_end_ts)s
      AND e.to_status IN ('submitted', 'paid', 'partially_paid', 'denied')
),
per_claim AS (
    SELECT claim_id,
           min(occurred_at) FILTER (WHERE to_status = 'submitted') AS first_submitted_at,
           count(*) FILTER (WHERE to_status = 'submitted' AND occurred_at >= %(period_start_ts)s) AS submissions,
           bool_or(to_status <> 'submitted' AND occurred_at >= %(period_start_ts)s) AS processed
    FROM ev
    GROUP BY claim_id
),
base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name,
           v.rendering_provider_id AS provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           (pc.first_submitted_at >= %(period_start_ts)s) AS first_in_period,
           pc.submissions, pc.processed, c.total_charge
    FROM per_claim pc
    JOIN billing.claims c ON c.id = pc.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
    WHERE pc.first_submitted_at >= %(period_start_ts)s OR pc.processed OR pc.submissions > 0
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) FILTER (WHERE first_in_period) AS claims_submitted,
       coalesce(sum(total_charge) FILTER (WHERE first_in_period), 0)::numeric(12,2) AS charges_submitted,
       coalesce(sum(submissions), 0)::bigint AS submissions,
       count(*) FILTER (WHERE processed) AS claims_processed
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
