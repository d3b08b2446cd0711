-- Clean-claim rate (HFMA MAP Key CL-1): claims that pass the edits with no manual intervention ÷
-- claims accepted into the claim edits ("scrubber") for billing. See docs/metrics.md.
--   entered : claims whose FIRST edit outcome - the first event that moves the claim out of 'new',
--             to 'held' (data quality, eligibility or scrubbing failed: a work item for a person)
--             or 'ready' (passed every edit) - is in the period. Held claims are in the denominator.
--   clean   : of those, the first outcome was 'ready', the claim is not a replacement (a frequency-7
--             claim is a person's correction), and no work item was opened on the claim (or on its
--             visit, when the item names no claim) before the claim's first submission (or by as_of,
--             if not yet submitted).
-- What happens after submission (999/277CA rejections, denials) is not part of this KPI: see
-- first_pass_acceptance and denial_rate.
WITH firsts AS (
    SELECT DISTINCT ON (e.claim_id) e.claim_id, e.to_status, e.occurred_at
    FROM billing.claim_events e
    WHERE e.from_status = 'new' AND e.to_status IN ('held', 'ready')
      AND NOT e.ignored
      AND e.occurred_at < %(as_of_ts)s
    ORDER BY e.claim_id, e.occurred_at, e.id
),
entered AS (
    SELECT f.claim_id, f.to_status,
           coalesce((SELECT min(s.occurred_at) FROM billing.claim_events s
                     WHERE s.claim_id = f.claim_id AND s.to_status = 'submitted'
                       AND s.from_status IS DISTINCT FROM s.to_status AND s.occurred_at < %(as_of_ts)s),
                    %(as_of_ts)s) AS cutoff
    FROM firsts f
    WHERE f.occurred_at >= %(period_start_ts)s AND f.occurred_at < %(period_end_ts)s
),
base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name,
           v.rendering_provider_id AS provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           k.to_status = 'ready'
           AND c.frequency_code = '1' AND c.replaces_claim_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                           WHERE w.claim_id = c.id AND w.created_at < k.cutoff)
           AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                           WHERE w.claim_id IS NULL AND w.visit_id = c.visit_id
                             AND w.created_at < k.cutoff) AS clean
    FROM entered k
    JOIN billing.claims c ON c.id = k.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) AS entered,
       count(*) FILTER (WHERE clean) AS clean,
       count(*) FILTER (WHERE NOT clean) AS not_clean,
       round(count(*) FILTER (WHERE clean)::numeric / nullif(count(*), 0), 4) AS rate
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
