-- The last step of the two-person write-off for one work item: a request waiting for approval
-- when the latest of these events is 'write_off_requested'.
SELECT e.id, e.event_type, e.actor, e.detail, e.occurred_at
FROM billing.claim_events e
WHERE e.claim_id = %(claim_id)s
  AND e.event_type IN ('write_off_requested', 'write_off_approved', 'write_off_declined')
  AND e.detail ->> 'work_item_id' = %(item_id)s::text
ORDER BY e.id DESC
LIMIT 1;
