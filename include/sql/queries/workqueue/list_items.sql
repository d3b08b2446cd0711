-- Work items for the queue page: filters are optional (NULL = any), sorted by due date.
-- The page of ids is chosen from work_queue alone (payer/provider filters as EXISTS), so only
-- the 100 shown rows are joined to claims, visits, payers and providers.
-- `total` is the number of matching items before LIMIT, for paging.
WITH matching AS (
    SELECT w.id, w.due_date, w.created_at, count(*) OVER () AS total
    FROM billing.work_queue w
    WHERE w.state = ANY(%(states)s)
      AND (%(source)s::text IS NULL OR w.source = %(source)s)
      AND (%(reason)s::text IS NULL OR w.reason_code = %(reason)s)
      AND (%(payer_id)s::int IS NULL OR EXISTS (
              SELECT 1 FROM billing.claims c WHERE c.id = w.claim_id AND c.payer_id = %(payer_id)s))
      AND (%(provider_id)s::int IS NULL OR EXISTS (
              SELECT 1 FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
              WHERE c.id = w.claim_id AND v.rendering_provider_id = %(provider_id)s))
      AND (%(min_age)s::int IS NULL OR w.created_at < billing.clock() - make_interval(days => %(min_age)s::int))
      AND (%(max_age)s::int IS NULL OR w.created_at >= billing.clock() - make_interval(days => %(max_age)s::int + 1))
      AND (%(assignee)s::text IS NULL
           OR (%(assignee)s = '' AND w.assignee IS NULL)
           OR w.assignee = %(assignee)s)
),
page AS (
    SELECT * FROM matching ORDER BY due_date ASC NULLS LAST, created_at, id
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT w.id, w.claim_id, w.source, w.reason_code, w.explanation, w.state, w.assignee, w.due_date,
       w.created_at, (billing.clock()::date - w.created_at::date) AS age_days, (w.due_date < billing.clock()::date) AS overdue,
       c.claim_number, c.status AS claim_status, c.total_charge, c.date_of_service,
       py.id AS payer_id, py.name AS payer_name,
       pr.id AS provider_id, pr.last_name || ', ' || pr.first_name AS provider_name,
       page.total
FROM page
JOIN billing.work_queue w ON w.id = page.id
LEFT JOIN billing.claims c ON c.id = w.claim_id
LEFT JOIN pm.visits v ON v.id = coalesce(c.visit_id, w.visit_id)
LEFT JOIN pm.payers py ON py.id = c.payer_id
LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
ORDER BY w.due_date ASC NULLS LAST, w.created_at, w.id;
