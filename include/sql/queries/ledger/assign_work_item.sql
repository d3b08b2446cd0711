-- Assign an open work item to a person (in progress), or unassign it (open again).
UPDATE billing.work_queue
SET assignee = %(assignee)s,
    state = CASE WHEN %(assignee)s::text IS NULL THEN 'open' ELSE 'in_progress' END
WHERE id = %(item_id)s AND state IN ('open', 'in_progress')
RETURNING id
