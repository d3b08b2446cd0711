UPDATE billing.work_queue
   SET details = jsonb_set(details, '{appeal_packet}', details->'appeal_packet' || %(packet)s::jsonb)
 WHERE id = %(item_id)s
