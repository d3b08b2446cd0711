-- Denied claims waiting for review: 'denial' work items open at as_of, oldest first.
-- Claim numbers and amounts only — no patient names, member ids, birth dates or diagnoses.
SELECT w.id AS work_item_id, c.claim_number, coalesce(py.name, 'No payer') AS payer,
       c.date_of_service, c.total_charge, w.reason_code, w.state, w.assignee, w.due_date,
       w.created_at, round((extract(epoch FROM %(as_of_ts)s::timestamptz - w.created_at) / 86400)::numeric, 1) AS age_days
FROM billing.report_open_work_items(%(as_of_ts)s) w
JOIN billing.claims c ON c.id = w.claim_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
WHERE w.source = 'denial'
ORDER BY w.created_at, w.id;
