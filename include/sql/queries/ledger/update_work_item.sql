-- Add to a work item's details: at its top level, or (merge_into) into the value under that key.
UPDATE billing.work_queue
   SET details = CASE WHEN %(merge_into)s::text IS NULL THEN details || %(details)s::jsonb
                      ELSE jsonb_set(details, ARRAY[%(merge_into)s::text],
                                     details -> %(merge_into)s::text || %(details)s::jsonb) END
 WHERE id = %(item_id)s
RETURNING id
