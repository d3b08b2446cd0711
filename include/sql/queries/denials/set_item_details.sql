UPDATE billing.work_queue SET details = details || %(details)s::jsonb WHERE id = %(item_id)s
