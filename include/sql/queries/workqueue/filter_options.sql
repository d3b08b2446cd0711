-- Values the queue's filters offer: what occurs among the items in the chosen states.
-- Per-item lookups by primary key (scalar subqueries): the open items are few next to the
-- claims and visits, which a join would read whole.
WITH items AS (
    SELECT w.source, w.reason_code, w.assignee,
           (SELECT c.payer_id FROM billing.claims c WHERE c.id = w.claim_id) AS payer_id,
           (SELECT v.rendering_provider_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
            WHERE c.id = w.claim_id) AS provider_id
    FROM billing.work_queue w
    WHERE w.state = ANY(%(states)s)
)
SELECT 'source' AS kind, source AS key, source AS label, count(*) AS n FROM items GROUP BY source
UNION ALL
SELECT 'reason', reason_code, reason_code, count(*) FROM items GROUP BY reason_code
UNION ALL
SELECT 'assignee', assignee, assignee, count(*) FROM items WHERE assignee IS NOT NULL GROUP BY assignee
UNION ALL
SELECT 'payer', py.id::text, py.name, count(*)
FROM items JOIN pm.payers py ON py.id = items.payer_id GROUP BY py.id, py.name
UNION ALL
SELECT 'provider', pr.id::text, pr.last_name || ', ' || pr.first_name, count(*)
FROM items JOIN pm.providers pr ON pr.id = items.provider_id GROUP BY pr.id, pr.last_name, pr.first_name
ORDER BY 1, 3;
