-- Clean-claim rate: claims adjudicated in the period whose latest adjudication in the period is
-- paid or partially_paid AND that needed no rework, ÷ claims adjudicated in the period.
-- Rework (anything up to as_of): a 'rejected' or 'held' event; the claim is a replacement
-- (frequency 7 / version > 1) or was replaced by one; a 'reversed' event; any work-queue item on
-- the claim (or on its visit when the item names no claim).
WITH adj AS (
    SELECT DISTINCT ON (e.claim_id) e.claim_id, e.to_status AS outcome
    FROM billing.claim_events e
    WHERE right(e.event_type, 8) <> '_ignored'
      AND e.to_status IN ('paid', 'partially_paid', 'denied')
      AND e.occurred_at >= %(period_start_ts)s AND e.occurred_at < %(period_end_ts)s
    ORDER BY e.claim_id, e.occurred_at DESC, e.id DESC
),
base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name,
           v.rendering_provider_id AS provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           a.outcome IN ('paid', 'partially_paid')
           AND c.frequency_code = '1' AND c.version = 1
           AND NOT EXISTS (SELECT 1 FROM billing.claim_events e
                           WHERE e.claim_id = c.id AND right(e.event_type, 8) <> '_ignored'
                             AND e.to_status IN ('rejected', 'held', 'reversed', 'replaced')
                             AND e.occurred_at < %(as_of_ts)s)
           AND NOT EXISTS (SELECT 1 FROM billing.claims r
                           WHERE r.replaces_claim_id = c.id AND r.created_at < %(as_of_ts)s)
           AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                           WHERE w.claim_id = c.id AND w.created_at < %(as_of_ts)s)
           AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                           WHERE w.claim_id IS NULL AND w.visit_id = c.visit_id
                             AND w.created_at < %(as_of_ts)s) AS clean
    FROM adj a
    JOIN billing.claims c ON c.id = a.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) AS adjudicated,
       count(*) FILTER (WHERE clean) AS clean,
       round(count(*) FILTER (WHERE clean)::numeric / nullif(count(*), 0), 4) AS rate
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
