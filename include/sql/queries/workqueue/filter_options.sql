-- Values the queue's filters offer: what occurs among the items in the chosen states.
SELECT 'source' AS kind, w.source AS key, w.source AS label, count(*) AS n
FROM billing.work_queue w WHERE w.state = ANY(%(states)s) GROUP BY w.source
UNION ALL
SELECT 'reason', w.reason_code, w.reason_code, count(*)
FROM billing.work_queue w WHERE w.state = ANY(%(states)s) GROUP BY w.reason_code
UNION ALL
SELECT 'assignee', w.assignee, w.assignee, count(*)
FROM billing.work_queue w WHERE w.state = ANY(%(states)s) AND w.assignee IS NOT NULL GROUP BY w.assignee
UNION ALL
SELECT 'payer', py.id::text, py.name, count(*)
FROM billing.work_queue w JOIN billing.claims c ON c.id = w.claim_id JOIN pm.payers py ON py.id = c.payer_id
WHERE w.state = ANY(%(states)s) GROUP BY py.id, py.name
UNION ALL
SELECT 'provider', pr.id::text, pr.last_name || ', ' || pr.first_name, count(*)
FROM billing.work_queue w
JOIN billing.claims c ON c.id = w.claim_id
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.providers pr ON pr.id = v.rendering_provider_id
WHERE w.state = ANY(%(states)s) GROUP BY pr.id, pr.last_name, pr.first_name
ORDER BY 1, 3;
