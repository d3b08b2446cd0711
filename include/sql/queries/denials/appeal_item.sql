-- The denial work item an appeal letter answers.
SELECT claim_id, due_date, details FROM billing.work_queue WHERE id = %(item_id)s
