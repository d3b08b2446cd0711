-- Denial rate: of the claims adjudicated in the period (latest adjudication event in the period),
-- the share whose outcome is 'denied', by count and by dollars (claim total charge).
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
           a.outcome = 'denied' AS denied, c.total_charge
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
       count(*) FILTER (WHERE denied) AS denied,
       coalesce(sum(total_charge), 0)::numeric(14,2) AS adjudicated_charges,
       coalesce(sum(total_charge) FILTER (WHERE denied), 0)::numeric(14,2) AS denied_charges,
       round(count(*) FILTER (WHERE denied)::numeric / nullif(count(*), 0), 4) AS rate_count,
       round(sum(total_charge) FILTER (WHERE denied) / nullif(sum(total_charge), 0), 4) AS rate_dollars
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
