-- The item and its claim, locked for the duration of one action.
SELECT w.id, w.claim_id, w.state, w.assignee, w.reason_code, w.source, w.details,
       c.status AS claim_status, c.policy_id, c.visit_id, c.payer_claim_control_number
FROM billing.work_queue w
LEFT JOIN billing.claims c ON c.id = w.claim_id
WHERE w.id = %(item_id)s
FOR UPDATE OF w;
